/* storykit: draw the page's charts from their JSON once plotly.js (and any map shapes) have loaded.
   One chart per frame, in page order, so the first is on screen before the others are drawn; a
   static first paint (.storykit-static) stays until its live chart is drawn. */
(function () {
  var g = window, plots = document.querySelectorAll("figure.sk-chart .sk-plot"), i = 0;
  var assets = g.PlotlyGeoAssets = g.PlotlyGeoAssets || {topojson: {}};
  assets.topojson = assets.topojson || {};
  // plotly.js would fetch this base map from a CDN; the province shapes are all a map here needs.
  assets.topojson.world_110m = assets.topojson.world_110m || {type: "Topology", objects: {}, arcs: []};

  function next() {
    var plot = plots[i++];
    if (!plot) return;
    var figure = JSON.parse(document.getElementById(plot.id + "-json").textContent);
    function done() {
      var still = plot.querySelector(".storykit-static");
      if (still) still.remove();
      requestAnimationFrame(function () { setTimeout(next, 0); });  // this chart paints before the next is drawn
    }
    g.Plotly.newPlot(plot, figure).then(done, function (e) { console.error(e); done(); });
  }
  next();
})();

/* storykit: draw the page's charts from their JSON once plotly.js (and any map shapes) have loaded.
   One chart per frame, in page order, so the first is on screen before the others are drawn; a
   static first paint (.storykit-static) stays until its live chart is drawn. Once drawn, a chart's
   PNG and SVG buttons appear: they save a picture of it with its title, subtitle and credit, made
   here from the chart's own JSON; nothing is fetched from any host. */
(function () {
  var g = window, plots = document.querySelectorAll("figure.sk-chart .sk-plot"), i = 0;
  var assets = g.PlotlyGeoAssets = g.PlotlyGeoAssets || {topojson: {}};
  assets.topojson = assets.topojson || {};
  // plotly.js would fetch this base map from a CDN; the province shapes are all a map here needs.
  assets.topojson.world_110m = assets.topojson.world_110m || {type: "Topology", objects: {}, arcs: []};

  function spec(plot) {  // a fresh copy each time: plotly.js changes the objects it is given
    var figure = JSON.parse(document.getElementById(plot.id + "-json").textContent);
    var about = figure.storykit;
    delete figure.storykit;
    return {figure: figure, about: about};
  }

  // On a phone a map has room for the names of its largest governorates only: each name carries its
  // governorate's share of the map's area (storykit.charts.maps.place_labels).
  function fit(plot, figure) {
    if (plot.clientWidth >= 600) return;
    figure.data.forEach(function (t) {
      if (t.meta === "storykit-labels" && t.name === "names" && Array.isArray(t.customdata) && Array.isArray(t.text))
        t.text = t.text.map(function (name, k) { return t.customdata[k] >= 0.05 ? name : ""; });
    });
  }

  function next() {
    var plot = plots[i++];
    if (!plot) return;
    var s = spec(plot);
    fit(plot, s.figure);
    function done(drawn) {
      var still = plot.querySelector(".storykit-static");
      if (still) still.remove();
      if (drawn) offer(plot, s.about);
      tell();
      requestAnimationFrame(function () { setTimeout(next, 0); });  // this chart paints before the next is drawn
    }
    g.Plotly.newPlot(plot, s.figure).then(function () { done(true); }, function (e) { console.error(e); done(false); });
  }

  // --- the picture a reader saves ------------------------------------------------------------------

  function offer(plot, about) {
    var figure = plot.closest("figure");
    if (!about || !figure) return;
    figure.querySelectorAll("button.sk-image").forEach(function (button) {
      button.hidden = false;
      button.addEventListener("click", function () { save(plot, button.getAttribute("data-format")); });
    });
  }

  function esc(text) {
    return String(text).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
  }

  function wrap(text, size, width) {  // SVG text does not wrap: break between words, by an average glyph width
    var most = Math.max(16, Math.floor(width / (size * 0.55))), lines = [], line = "";
    String(text || "").split(/\s+/).forEach(function (word) {
      if (line && (line + " " + word).length > most) { lines.push(line); line = word; }
      else line = line ? line + " " + word : word;
    });
    if (line) lines.push(line);
    return lines;
  }

  // The chart as plotly.js draws it at the picture's width (at least 640 px), between a header with the
  // title and subtitle and a footer with the credit. Plotly's margins grow with its axes and legend, so
  // the header and footer are set around its picture rather than in its margins, where they could overlap.
  function picture(plot, about) {
    var s = spec(plot), width = Math.max(640, Math.round(plot.clientWidth)), height = plot.clientHeight || 420;
    var layout = s.figure.layout;
    layout.width = width;
    layout.height = height;
    delete layout.updatemenus;  // a play button does nothing in a picture
    var language = s.figure.config ? {locale: s.figure.config.locale, locales: s.figure.config.locales} : {};
    return g.Plotly.toImage({data: s.figure.data, layout: layout, config: language},
                            {format: "svg", width: width, height: height}).then(function (url) {
      var chart = decodeURIComponent(url.slice(url.indexOf(",") + 1)), pad = 16, y = pad, parts = [];
      // On a right-to-left page (the Arabic edition) the words start at the right edge.
      var rtl = document.documentElement.dir === "rtl";
      var at = rtl ? 'x="' + (width - pad) + '" text-anchor="end" direction="rtl"' : 'x="' + pad + '"';
      function text(value, size, weight, colour) {
        wrap(value, size, width - 2 * pad).forEach(function (line) {
          y += Math.round(size * 1.3);
          parts.push('<text ' + at + ' y="' + y + '" font-size="' + size + '" font-weight="' + weight +
                     '" fill="' + colour + '">' + esc(line) + "</text>");
        });
      }
      text(about.title, 20, 700, "#1a1a1a");
      text(about.subtitle, 15, 400, "#444444");
      var top = y + 12;
      parts.push(chart.replace("<svg", '<svg x="0" y="' + top + '"'));
      y = top + height + 4;
      text(about.credit, 12, 400, "#595959");
      var total = y + pad;
      return {width: width, height: total, svg: '<svg xmlns="http://www.w3.org/2000/svg" width="' + width +
        '" height="' + total + '" viewBox="0 0 ' + width + " " + total + '" font-family="' + esc(about.font) + '">' +
        '<rect width="100%" height="100%" fill="#ffffff"/>' + parts.join("") + "</svg>"};
    });
  }

  function download(url, name) {
    var a = document.createElement("a");
    a.download = name;
    a.href = url;
    document.body.appendChild(a);
    a.click();
    a.remove();
  }

  function save(plot, format) {
    var about = spec(plot).about;
    picture(plot, about).then(function (p) {
      var url = "data:image/svg+xml;charset=utf-8," + encodeURIComponent(p.svg);
      if (format === "svg") return download(url, about.name + ".svg");
      var image = new Image();  // PNG: the same picture drawn on a canvas at twice its size, for sharp print
      image.onload = function () {
        var canvas = document.createElement("canvas");
        canvas.width = p.width * 2;
        canvas.height = p.height * 2;
        canvas.getContext("2d").drawImage(image, 0, 0, canvas.width, canvas.height);
        download(canvas.toDataURL("image/png"), about.name + ".png");
      };
      image.src = url;
    }, function (e) { console.error(e); });
  }

  // --- charts that travel (storykit.site.embeds) ---------------------------------------------------

  // An embed page tells the page framing it how tall it is, so the snippet's script fits the frame to it.
  function tell() {
    if (!document.documentElement.classList.contains("sk-embed-page") || g.parent === g) return;
    g.parent.postMessage({"storykit-embed-height": Math.ceil(document.body.getBoundingClientRect().height)}, "*");
  }
  if (g.ResizeObserver) new ResizeObserver(tell).observe(document.body);
  g.addEventListener("load", tell);

  // The embed code's Copy button: without JavaScript it stays hidden and the code is selectable as it is.
  document.querySelectorAll("button.sk-copy").forEach(function (button) {
    var code = document.getElementById(button.getAttribute("data-copy"));
    var status = button.parentNode.querySelector(".sk-copied");
    if (!code) return;
    button.hidden = false;
    button.addEventListener("click", function () {
      function said(text) { if (status) status.textContent = text; }
      function select() {
        code.focus();
        code.select();
        try { return document.execCommand("copy"); } catch (e) { return false; }
      }
      var copied = navigator.clipboard && g.isSecureContext ? navigator.clipboard.writeText(code.value)
        : Promise.reject(new Error("no clipboard"));
      // The words are the page's own (storykit.site.embeds), in its language.
      copied.then(function () { said(button.getAttribute("data-copied")); }, function () {
        said(button.getAttribute(select() ? "data-copied" : "data-selected"));
      });
    });
  });

  next();
})();

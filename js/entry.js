'use strict';
// The trace types storykit's pages draw; scatter comes with the core. Keep in step with
// storykit.site.assets.BUNDLE_TRACES: a page with any other trace type loads the full plotly.min.js.
// scattergeo: the governorates' names and outlines on maps (storykit.charts.maps.place_labels).
var Plotly = require('plotly.js/lib/core');

Plotly.register([require('plotly.js/lib/bar'), require('plotly.js/lib/heatmap'), require('plotly.js/lib/choropleth'),
                 require('plotly.js/lib/scattergeo')]);

module.exports = Plotly;

'use strict';
// The trace types storykit's pages draw; scatter comes with the core. Keep in step with
// storykit.charts.BUNDLE_TRACES: a page with any other trace type loads the full plotly.min.js.
var Plotly = require('plotly.js/lib/core');

Plotly.register([require('plotly.js/lib/bar'), require('plotly.js/lib/heatmap'), require('plotly.js/lib/choropleth')]);

module.exports = Plotly;

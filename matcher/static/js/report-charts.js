/* The coordinator's charts, drawn with Chart.js from the page's JSON block (no inline script,
 * so the strict CSP holds). Each chart's numbers are also in the table under it. */
(function () {
  "use strict";

  var block = document.getElementById("report-charts-data");
  if (!block || typeof window.Chart === "undefined") {
    return;
  }
  var data;
  try {
    data = JSON.parse(block.textContent || "{}");
  } catch (error) {
    return;
  }
  var reduceMotion = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
  var colours = {registrations: "#1d70b8", introductions: "#00703c", funnel: "#4c2c92",
    visits_done: "#28a197"};

  document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
    var key = canvas.getAttribute("data-chart");
    var values = data[key];
    if (!values) {
      return;
    }
    var labels = key === "funnel" ? data.funnel_labels : data.month_labels;
    canvas.parentElement.classList.add("kith-chart__canvas--ready");
    new window.Chart(canvas, {
      type: "bar",
      data: {
        labels: labels,
        datasets: [{label: canvas.getAttribute("data-label"), data: values,
          backgroundColor: colours[key] || "#1d70b8"}]
      },
      options: {
        animation: reduceMotion ? false : {duration: 300},
        maintainAspectRatio: false,
        indexAxis: key === "funnel" ? "y" : "x",
        plugins: {legend: {display: false}},
        scales: {
          x: {beginAtZero: true, ticks: {precision: 0}},
          y: {beginAtZero: true, ticks: {precision: 0}}
        }
      }
    });
  });
}());

// Dashboard charts: each <canvas data-chart="name" data-type="bar|line|doughnut"> is drawn
// from the JSON the page embeds (#chart-data: {name: {labels: [...], values: [...]}}).
(function () {
  var source = document.getElementById("chart-data");
  if (!source || typeof Chart === "undefined") {
    return;
  }
  var data = JSON.parse(source.textContent);
  var palette = ["#0f6cbd", "#2e7d32", "#c62828", "#ef6c00", "#f9a825", "#6a1b9a", "#00838f", "#616e7c"];
  document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
    var series = data[canvas.dataset.chart];
    if (!series) {
      return;
    }
    var type = canvas.dataset.type;
    new Chart(canvas, {
      type: type,
      data: {
        labels: series.labels,
        datasets: [{
          data: series.values,
          backgroundColor: type === "line" ? palette[0] : palette,
          borderColor: type === "line" ? palette[0] : undefined,
          tension: 0.2
        }]
      },
      options: {
        animation: false,
        maintainAspectRatio: false,
        plugins: { legend: { display: type === "doughnut", position: "bottom" } },
        scales: type === "doughnut" ? {} : { y: { beginAtZero: true, ticks: { precision: 0 } } }
      }
    });
  });
})();

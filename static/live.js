// The dashboard's only script: reload the bandwidth graph every 10 s.
// Everything else works without JavaScript.
(function () {
  var img = document.getElementById("bw-graph");
  if (!img) return;
  setInterval(function () {
    img.src = "/graph/bandwidth.svg?t=" + Date.now();
  }, 10000);
})();

// Dismissible alerts: any button with data-dismiss="alert" removes its alert.
// Event delegation, so alerts added later (htmx swaps) need no extra wiring.
document.addEventListener("click", function (event) {
  var button = event.target.closest('[data-dismiss="alert"]');
  if (!button) {
    return;
  }
  var alert = button.closest(".alert");
  if (alert) {
    alert.remove();
  }
});

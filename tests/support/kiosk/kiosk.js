document.getElementById("kiosk").dataset.ready = "yes";

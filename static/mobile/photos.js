/* Photos from the camera, shrunk on the phone before they travel: the longest side is capped
 * and the picture re-encoded as JPEG, which also drops the camera's metadata. */
(function (scope) {
  "use strict";

  var MAX_SIDE = 1600;
  var QUALITY = 0.82;
  var EXTENSIONS = {"image/jpeg": ".jpg", "image/png": ".png", "image/webp": ".webp"};

  function decode(file) {
    if (scope.createImageBitmap) {
      return createImageBitmap(file, {imageOrientation: "from-image"}).catch(function () {
        return createImageBitmap(file);
      });
    }
    return new Promise(function (resolve, reject) {
      var img = new Image();
      img.onload = function () {
        resolve(img);
      };
      img.onerror = function () {
        reject(new Error(file.name));
      };
      img.src = URL.createObjectURL(file);
    });
  }

  /* A smaller JPEG Blob of an image file (the file itself when it is already small). */
  function shrink(file) {
    return decode(file).then(function (image) {
      var width = image.width;
      var height = image.height;
      var ratio = Math.min(1, MAX_SIDE / Math.max(width, height));
      var canvas = document.createElement("canvas");
      canvas.width = Math.max(1, Math.round(width * ratio));
      canvas.height = Math.max(1, Math.round(height * ratio));
      canvas.getContext("2d").drawImage(image, 0, 0, canvas.width, canvas.height);
      if (image.close) {
        image.close();
      }
      return new Promise(function (resolve) {
        canvas.toBlob(function (blob) {
          resolve(blob && blob.size < file.size ? blob : file);
        }, "image/jpeg", QUALITY);
      });
    });
  }

  function shrinkAll(files) {
    return Promise.all(Array.prototype.map.call(files, shrink));
  }

  /* Plain forms (a task's answer): replace the chosen files by their shrunk copies, so the
   * form posts as usual without JavaScript and smaller with it. */
  function enhanceInputs(root) {
    (root || document).querySelectorAll("input[type=file][data-shrink]").forEach(function (input) {
      input.addEventListener("change", function () {
        if (!input.files.length || typeof DataTransfer === "undefined") {
          return;
        }
        var form = input.form;
        var buttons = form ? form.querySelectorAll("button[type=submit]") : [];
        buttons.forEach(function (b) {
          b.disabled = true;
        });
        shrinkAll(input.files).then(function (blobs) {
          var transfer = new DataTransfer();
          blobs.forEach(function (blob, i) {
            // Named after the blob's own type: an original kept because it was already small
            // may be a PNG, and the server refuses a name claiming another type.
            var extension = EXTENSIONS[blob.type] || "";
            transfer.items.add(new File([blob], "photo-" + (i + 1) + extension, {type: blob.type}));
          });
          input.files = transfer.files;
          input.dispatchEvent(new CustomEvent("photos-ready", {bubbles: true}));
        }).catch(function () {
          // Leave the originals: the server checks and shrinks them too.
        }).finally(function () {
          buttons.forEach(function (b) {
            b.disabled = false;
          });
        });
      });
    });
  }

  scope.GridCityPhotos = {shrink: shrink, shrinkAll: shrinkAll, enhanceInputs: enhanceInputs};
})(window);

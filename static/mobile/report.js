/* Report a problem: where (locate me or tap the map), what (category search, a nearby
 * component), photos, description, urgency. Submitting puts the report in the phone's outbox
 * first and sends it from there, so a lost signal loses nothing. */
(function () {
  "use strict";

  function data(id) {
    return JSON.parse(document.getElementById(id).textContent);
  }

  var T = data("mobile-strings");
  var urls = data("mobile-urls");
  var categories = data("mobile-categories");
  var user = data("mobile-user");
  var form = document.getElementById("report-form");
  var csrfToken = form.querySelector("input[name=csrfmiddlewaretoken]").value;
  var el = function (id) {
    return document.getElementById(id);
  };
  var fmt = function (text, value) {
    return text.replace("%s", value);
  };

  // outside: the server said the point lies in no grid (unknown while offline).
  var state = {lon: null, lat: null, outside: false, category: null, photos: []};

  /* ---------------------------------------------------------------- where */
  var map = GridCityMap.create(el("report-map"), data("mobile-map"), data("mobile-patrol-grids"));
  var marker = null;
  var locateSeq = 0;

  function setPoint(lat, lon, how) {
    state.lat = Math.round(lat * 1e7) / 1e7;
    state.lon = Math.round(lon * 1e7) / 1e7;
    if (marker) {
      marker.setLatLng([lat, lon]);
    } else {
      marker = L.circleMarker([lat, lon], {radius: 9, color: "#cf222e", weight: 3, fillOpacity: 0.5}).addTo(map);
    }
    if (how === "located") {
      map.setView([lat, lon], Math.max(map.getZoom(), 17));
    }
    el("location-point").textContent = fmt(T.pointChosen, state.lon.toFixed(6) + ", " + state.lat.toFixed(6));
    describePoint();
  }

  function describePoint() {
    if (state.lat === null) {
      return;
    }
    var seq = ++locateSeq;
    var query = "?lon=" + state.lon + "&lat=" + state.lat + (state.category ? "&category=" + state.category.id : "");
    state.outside = false;
    el("location-grid").textContent = T.gridLooking;
    el("location-grid").className = "";
    fetch(urls.locate + query, {credentials: "same-origin", headers: {Accept: "application/json"}})
      .then(function (r) {
        return r.json();
      })
      .then(function (info) {
        if (seq !== locateSeq) {
          return;
        }
        state.outside = !info.grid;
        if (info.grid) {
          el("location-grid").textContent = fmt(T.gridIs, info.grid.code + " " + info.grid.community);
        } else {
          el("location-grid").textContent = info.message;
          el("location-grid").className = "error";
        }
        showComponents(info.grid ? info.components : null);
      })
      .catch(function () {
        if (seq === locateSeq) {
          el("location-grid").textContent = T.gridOffline;
          showComponents(null);
        }
      });
  }

  el("locate-me").addEventListener("click", function () {
    if (!navigator.geolocation) {
      el("location-grid").textContent = T.noGeolocation;
      return;
    }
    el("location-grid").textContent = T.locating;
    navigator.geolocation.getCurrentPosition(function (position) {
      setPoint(position.coords.latitude, position.coords.longitude, "located");
    }, function (error) {
      var reasons = {1: T.locateDenied, 2: T.locateUnavailable, 3: T.locateTimeout};
      el("location-grid").textContent = fmt(T.locateFailed, reasons[error.code] || error.code);
    }, {enableHighAccuracy: true, timeout: 15000, maximumAge: 30000});
  });

  map.on("click", function (event) {
    setPoint(event.latlng.lat, event.latlng.lng, "tapped");
  });

  /* ---------------------------------------------------------------- what */
  var search = el("category-search");
  var results = el("category-results");
  var searchSeq = 0;

  // The same rules as the server's search, for when there is no signal.
  function searchOffline(text) {
    var q = text.trim().toLowerCase();
    var letters = q.replace(/\s+/g, "");
    var digits = /^\d+$/.test(q);
    return categories.filter(function (c) {
      if (digits) {
        return c.code.indexOf(q) === 0;
      }
      return c.name.toLowerCase().indexOf(q) >= 0 || (/^[a-z0-9]+$/.test(letters) && c.keys.indexOf(letters) >= 0);
    }).slice(0, 30);
  }

  function byId(id) {
    for (var i = 0; i < categories.length; i++) {
      if (categories[i].id === id) {
        return categories[i];
      }
    }
    return null;
  }

  function showResults(found) {
    results.textContent = "";
    if (!found.length) {
      var none = document.createElement("p");
      none.textContent = T.noMatch;
      results.appendChild(none);
      return;
    }
    found.forEach(function (c) {
      var label = document.createElement("label");
      label.className = "m-choice";
      var input = document.createElement("input");
      input.type = "radio";
      input.name = "category";
      input.value = c.id;
      input.checked = !!(state.category && state.category.id === c.id);
      input.addEventListener("change", function () {
        chooseCategory(c);
      });
      var text = document.createElement("span");
      text.textContent = c.name + " · " + c.kindLabel + " " + c.code;
      label.appendChild(input);
      label.appendChild(text);
      results.appendChild(label);
    });
  }

  function runSearch() {
    var text = search.value.trim();
    var seq = ++searchSeq;
    if (!text) {
      results.textContent = "";
      return;
    }
    fetch(urls.categories + "?active=true&page_size=30&q=" + encodeURIComponent(text), {
      credentials: "same-origin",
      headers: {Accept: "application/json"},
    })
      .then(function (r) {
        if (!r.ok) {
          throw new Error(String(r.status));
        }
        return r.json();
      })
      .then(function (page) {
        if (seq === searchSeq) {
          showResults((page.results || []).map(function (row) {
            return byId(row.id) || {id: row.id, kind: row.kind, kindLabel: row.kind_label, code: row.code, name: row.name, keys: ""};
          }));
        }
      })
      .catch(function () {
        if (seq === searchSeq) {
          showResults(searchOffline(text));
        }
      });
  }

  var searchTimer = null;
  search.addEventListener("input", function () {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(runSearch, 250);
  });
  search.addEventListener("keydown", function (event) {
    if (event.key === "Enter") {
      event.preventDefault();
      clearTimeout(searchTimer);
      runSearch();
    }
  });

  function chooseCategory(c) {
    state.category = c;
    el("category-chosen").textContent = fmt(T.categoryChosen, c.name + "（" + c.kindLabel + " " + c.code + "）");
    describePoint();
  }

  function showComponents(components) {
    var box = el("components");
    var list = el("component-list");
    list.textContent = "";
    if (!state.category || state.category.kind !== "component" || components === null) {
      box.hidden = true;
      return;
    }
    box.hidden = false;
    var options = [{identifier: "", name: T.noComponent, distance_m: null}].concat(components);
    options.forEach(function (c, index) {
      var label = document.createElement("label");
      label.className = "m-choice";
      var input = document.createElement("input");
      input.type = "radio";
      input.name = "component";
      input.value = c.identifier;
      input.checked = index === 0;
      var text = document.createElement("span");
      text.textContent = c.identifier ? c.name + " · " + c.identifier + " · " + fmt(T.metres, c.distance_m) : c.name;
      label.appendChild(input);
      label.appendChild(text);
      list.appendChild(label);
    });
    if (!components.length) {
      var none = document.createElement("p");
      none.textContent = T.componentsNone;
      list.appendChild(none);
    }
  }

  /* ---------------------------------------------------------------- photos */
  var photoInput = el("photos");
  function showPhotos() {
    var box = el("photo-previews");
    box.textContent = "";
    state.photos.forEach(function (blob, index) {
      var item = document.createElement("li");
      var img = document.createElement("img");
      img.src = URL.createObjectURL(blob);
      img.alt = fmt(T.photoAlt, index + 1);
      var remove = document.createElement("button");
      remove.type = "button";
      remove.className = "m-remove";
      remove.textContent = "×";
      remove.setAttribute("aria-label", fmt(T.removePhoto, index + 1));
      remove.addEventListener("click", function () {
        state.photos.splice(index, 1);
        showPhotos();
      });
      item.appendChild(img);
      item.appendChild(remove);
      box.appendChild(item);
    });
    el("photo-count").textContent = state.photos.length ? fmt(T.photoCount, state.photos.length) : "";
  }
  photoInput.addEventListener("change", function () {
    var files = Array.prototype.slice.call(photoInput.files);
    if (!files.length) {
      return;
    }
    el("photo-count").textContent = T.shrinking;
    GridCityPhotos.shrinkAll(files).then(function (blobs) {
      state.photos = state.photos.concat(blobs).slice(0, 9);
      photoInput.value = "";
      showPhotos();
    }, function (error) {
      el("photo-count").textContent = fmt(T.photoFailed, error.message || error);
    });
  });

  /* ---------------------------------------------------------------- submit */
  function problem() {
    if (state.lat === null) {
      return [T.noPoint, el("locate-me")];
    }
    if (state.outside) {
      return [el("location-grid").textContent, el("locate-me")];
    }
    if (!state.category) {
      return [T.noCategory, search];
    }
    if (!state.photos.length) {
      return [T.noPhoto, photoInput];
    }
    if (!el("description").value.trim()) {
      return [T.noDescription, el("description")];
    }
    return null;
  }

  function say(text, kind) {
    var status = el("form-status");
    status.textContent = text;
    status.className = kind === true ? "error" : kind || "ok";
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var wrong = problem();
    if (wrong) {
      say(wrong[0], true);
      wrong[1].focus();
      return;
    }
    var component = form.querySelector("input[name=component]:checked");
    var urgency = form.querySelector("input[name=urgency]:checked");
    var report = {
      url: urls.report,
      label: state.category.name + " · " + el("description").value.trim().slice(0, 40),
      user: user,
      fields: {
        source: "inspector",
        category: String(state.category.id),
        lon: String(state.lon),
        lat: String(state.lat),
        address: el("address").value.trim(),
        component: component ? component.value : "",
        urgency: urgency ? urgency.value : "normal",
        description: el("description").value.trim(),
      },
      photos: state.photos.slice(),
    };
    el("submit-report").disabled = true;
    GridCityOutbox.add(report).then(function () {
      resetForm();
      say(navigator.onLine ? T.saved : T.queued, navigator.onLine ? "ok" : "m-warn");
      return sendNow(false);
    }).catch(function (error) {
      say(fmt(T.outboxUnavailable, error.message || error), true);
    }).finally(function () {
      el("submit-report").disabled = false;
    });
  });

  function resetForm() {
    el("description").value = "";
    el("address").value = "";
    state.photos = [];
    showPhotos();
    el("components").hidden = true;
  }

  /* ---------------------------------------------------------------- outbox */
  var sending = {};

  function stateLabel(item) {
    if (item.user !== user) {
      return T.stateOtherAccount;
    }
    if (sending[item.key]) {
      return T.stateSending;
    }
    return item.state === "rejected" ? T.stateRejected : T.stateWaiting;
  }

  function renderOutbox() {
    return GridCityOutbox.list().then(function (items) {
      el("outbox-count").textContent = String(items.length);
      el("outbox").classList.toggle("m-empty", !items.length);
      var list = el("outbox-list");
      list.textContent = "";
      items.forEach(function (item) {
        var li = document.createElement("li");
        li.className = "m-outbox-item m-" + item.state;
        var title = document.createElement("p");
        title.className = "m-outbox-title";
        title.textContent = item.label;
        var meta = document.createElement("p");
        meta.className = "m-outbox-state";
        meta.textContent = stateLabel(item) + " · " + new Date(item.createdAt).toLocaleString() + " · " + fmt(T.photoCount, item.photos.length);
        li.appendChild(title);
        li.appendChild(meta);
        if (item.error) {
          var error = document.createElement("p");
          error.className = item.state === "rejected" ? "error" : "m-muted";
          error.textContent = item.error;
          li.appendChild(error);
        }
        var actions = document.createElement("div");
        actions.className = "m-row";
        var retry = document.createElement("button");
        retry.type = "button";
        retry.className = "m-btn";
        retry.textContent = T.retry;
        retry.addEventListener("click", function () {
          GridCityOutbox.update(item.key, {state: "waiting"}).then(function () {
            return sendNow(true);
          });
        });
        if (item.user === user) {
          actions.appendChild(retry);
        }
        if (item.state === "rejected" && item.user === user) {
          var remove = document.createElement("button");
          remove.type = "button";
          remove.className = "m-btn m-danger";
          remove.textContent = T.remove;
          remove.addEventListener("click", function () {
            if (window.confirm(T.confirmRemove)) {
              GridCityOutbox.remove(item.key);
            }
          });
          actions.appendChild(remove);
        }
        li.appendChild(actions);
        list.appendChild(li);
      });
      return items;
    });
  }

  function sendNow(all) {
    return GridCityOutbox.flush({
      all: all,
      user: user,
      csrfToken: csrfToken,
      progress: function (item, outcome) {
        sending[item.key] = !!outcome.sending;
        if (outcome.sent && outcome.body) {
          showSent(outcome.body);
        }
        renderOutbox();
      },
    }).then(function (outcomes) {
      if (outcomes.some(function (o) {
        return o.retry;
      })) {
        say(T.queued, "m-warn");
        askForSync();
      }
      return renderOutbox();
    });
  }

  function showSent(body) {
    var box = el("sent");
    var li = document.createElement("li");
    var link = document.createElement("a");
    link.href = urls.reports + "?number=" + encodeURIComponent(body.number || "");
    link.textContent = fmt(T.sent, body.number || "");
    li.appendChild(link);
    box.prepend(li);
    say(fmt(T.sent, body.number || ""), "ok");
  }

  function askForSync() {
    // Background Sync lets the service worker send the outbox even after this page is closed.
    if ("serviceWorker" in navigator && "SyncManager" in window) {
      navigator.serviceWorker.ready.then(function (registration) {
        return registration.sync.register(GridCityOutbox.SYNC_TAG);
      }).catch(function () {});
    }
  }

  function showNetwork() {
    el("network-state").textContent = navigator.onLine ? T.online : T.offline;
    el("network-state").className = navigator.onLine ? "m-online" : "m-offline";
  }

  window.addEventListener("online", function () {
    showNetwork();
    sendNow(false);
  });
  window.addEventListener("offline", showNetwork);
  GridCityOutbox.onChange(renderOutbox);
  // The service worker sends with the token of the latest page it saw.
  GridCityOutbox.setMeta("csrfToken", csrfToken).then(function () {
    return GridCityOutbox.setMeta("userId", user);
  }).catch(function () {});
  setInterval(function () {
    if (navigator.onLine) {
      sendNow(false);
    }
  }, 30000);

  showNetwork();
  renderOutbox().then(function (items) {
    if (items.length && navigator.onLine) {
      sendNow(false);
    }
  });
})();

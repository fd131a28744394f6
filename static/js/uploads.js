/* Large evidence files (templates/hotline/includes/large_upload.html): sent in pieces over
   the tus protocol (hotline/tus.py) with the vendored tus-js-client, each piece encrypted by
   the server as it arrives. A dropped connection or a change of network goes on by itself
   (retries, and again when the browser is back online); after a reload the same file, chosen
   again, goes on from where it stopped. A finished file is kept for this session on the
   server and sent with the form; the send button waits while files are on their way.

   What the browser keeps to resume lives in sessionStorage, under a hash of the file (never
   its name in clear): it goes when the tab closes, or at "Leave this site quickly". */
(function () {
  "use strict";
  var box = document.querySelector("[data-large-upload]");
  if (!box || !window.tus || !window.tus.isSupported) { return; }
  var form = box.closest("form");
  var input = box.querySelector("input[type=file]");
  var list = box.querySelector(".large-upload-list");
  var endpoint = box.getAttribute("data-endpoint");
  var chunkBytes = parseInt(box.getAttribute("data-chunk-bytes"), 10);
  var maxBytes = parseInt(box.getAttribute("data-max-bytes"), 10);
  var tokenField = form && form.querySelector("input[name=csrfmiddlewaretoken]");
  if (!form || !tokenField) { return; }
  box.hidden = false;
  var PREFIX = "imi-upload::";
  var running = [];  // uploads neither finished nor cancelled
  // Uploads are created one after the other: the first one gives the session the key its
  // uploads are bound to, and two made at once would each give it a different one.
  var creating = Promise.resolve();

  function say(key, values) {
    var text = box.getAttribute("data-msg-" + key) || "";
    Object.keys(values || {}).forEach(function (name) {
      text = text.split("{" + name + "}").join(values[name]);
    });
    return text;
  }

  var language = document.documentElement.lang || "uk";
  function size(bytes) {
    var units = ["byte", "kilobyte", "megabyte", "gigabyte"];
    var i = 0;
    while (bytes >= 1024 && i < units.length - 1) { bytes /= 1024; i += 1; }
    try {
      return new Intl.NumberFormat(language, {style: "unit", unit: units[i], maximumFractionDigits: 1}).format(bytes);
    } catch (ignored) {
      return bytes.toFixed(1) + "\u00a0" + ["B", "KB", "MB", "GB"][i];
    }
  }

  function duration(seconds) {
    if (!isFinite(seconds)) { return "…"; }
    if (seconds >= 90) { return say("minutes", {count: Math.round(seconds / 60)}); }
    return say("seconds", {count: Math.max(1, Math.round(seconds))});
  }

  function percent(sent, total) {
    return Math.floor((sent / total) * 100) + "\u00a0%";
  }

  // tus-js-client's storage of unfinished uploads, over sessionStorage (see above).
  function stored(fingerprint) {
    var found = [];
    for (var i = 0; i < sessionStorage.length; i += 1) {
      var key = sessionStorage.key(i);
      if (key.indexOf(PREFIX + (fingerprint ? fingerprint + "::" : "")) !== 0) { continue; }
      try {
        var entry = JSON.parse(sessionStorage.getItem(key));
        entry.urlStorageKey = key;
        found.push(entry);
      } catch (ignored) { sessionStorage.removeItem(key); }
    }
    return found;
  }
  var urlStorage = {
    findAllUploads: function () { return Promise.resolve(stored(null)); },
    findUploadsByFingerprint: function (fp) { return Promise.resolve(stored(fp)); },
    removeUpload: function (key) { sessionStorage.removeItem(key); return Promise.resolve(); },
    addUpload: function (fp, upload) {
      var key = PREFIX + fp + "::" + Math.random().toString(36).slice(2);
      sessionStorage.setItem(key, JSON.stringify(upload));
      return Promise.resolve(key);
    }
  };

  function fingerprint(file) {
    var text = [file.name, file.type, file.size, file.lastModified, endpoint].join("/");
    if (window.crypto && crypto.subtle && window.TextEncoder) {
      return crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)).then(function (buffer) {
        return Array.prototype.map.call(new Uint8Array(buffer), function (b) {
          return ("0" + b.toString(16)).slice(-2);
        }).join("");
      });
    }
    var hash = 5381;
    for (var i = 0; i < text.length; i += 1) { hash = ((hash * 33) ^ text.charCodeAt(i)) >>> 0; }
    return Promise.resolve("h" + hash.toString(16) + "-" + file.size);
  }

  // The send button waits while files are on their way, and says so.
  var buttons = Array.prototype.slice.call(form.querySelectorAll("[type=submit]")).filter(function (b) {
    return !b.name || b.name === "submit";
  });
  buttons.forEach(function (button) {
    button.setAttribute("data-label", button.tagName === "INPUT" ? button.value : button.textContent);
  });
  function refreshButtons() {
    buttons.forEach(function (button) {
      var label = running.length ? say("wait", {count: running.length}) : button.getAttribute("data-label");
      if (button.tagName === "INPUT") { button.value = label; } else { button.textContent = label; }
      button.disabled = running.length > 0;
      button.classList.toggle("large-upload-waiting", running.length > 0);
    });
  }
  document.addEventListener("submit", function (event) {
    if (event.target === form && running.length) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);

  function settle(entry) {
    running = running.filter(function (other) { return other !== entry; });
    refreshButtons();
  }

  function add(file) {
    var item = document.createElement("li");
    item.className = "large-upload-item border rounded p-2 mb-2";
    var name = document.createElement("div");
    name.className = "text-break fw-semibold";
    name.textContent = file.name + " (" + size(file.size) + ")";
    var status = document.createElement("div");
    status.className = "small large-upload-status";
    status.setAttribute("role", "status");
    item.appendChild(name);
    list.appendChild(item);
    if (file.size > maxBytes) {
      status.textContent = say("too-big", {name: file.name});
      status.classList.add("text-danger");
      item.appendChild(status);
      return;
    }
    var bar = document.createElement("div");
    bar.className = "progress my-1";
    bar.setAttribute("role", "progressbar");
    bar.setAttribute("aria-label", file.name);
    bar.setAttribute("aria-valuemin", "0");
    bar.setAttribute("aria-valuemax", "100");
    bar.setAttribute("aria-valuenow", "0");
    var fill = document.createElement("div");
    fill.className = "progress-bar";
    fill.style.width = "0%";
    bar.appendChild(fill);
    var actions = document.createElement("div");
    actions.className = "d-flex gap-2 mt-1";
    var pause = document.createElement("button");
    pause.type = "button";
    pause.className = "btn btn-sm btn-outline-secondary large-upload-pause";
    pause.textContent = say("pause");
    var cancel = document.createElement("button");
    cancel.type = "button";
    cancel.className = "btn btn-sm btn-outline-danger large-upload-cancel";
    cancel.textContent = say("cancel");
    actions.appendChild(pause);
    actions.appendChild(cancel);
    item.appendChild(bar);
    item.appendChild(status);
    item.appendChild(actions);

    var entry = {paused: false, offline: false};
    var created = function () {};
    var samples = [];
    var lastSent = 0;

    function show(sent, total) {
      var now = Date.now();
      samples.push([now, sent]);
      while (samples.length > 2 && now - samples[0][0] > 10000) { samples.shift(); }
      var first = samples[0];
      var speed = now > first[0] ? ((sent - first[1]) * 1000) / (now - first[0]) : 0;
      var value = Math.floor((sent / total) * 100);
      fill.style.width = value + "%";
      bar.setAttribute("aria-valuenow", String(value));
      status.classList.remove("text-danger");
      status.textContent = say("progress", {
        percent: percent(sent, total),
        speed: size(Math.round(speed)),
        left: speed > 0 ? duration((total - sent) / speed) : "…"
      });
    }

    var upload = new window.tus.Upload(file, {
      endpoint: endpoint,
      chunkSize: chunkBytes,
      // Hours of weak network: keep trying, less often, for about ten minutes; the
      // browser's "online" starts it again after that.
      retryDelays: [0, 1000, 3000, 5000, 10000, 15000, 20000, 30000, 30000, 60000, 60000, 60000, 60000, 60000, 60000, 60000],
      metadata: {filename: file.name, filetype: file.type || "application/octet-stream"},
      headers: {"X-CSRFToken": tokenField.value},
      urlStorage: urlStorage,
      fingerprint: fingerprint,
      storeFingerprintForResuming: true,
      removeFingerprintOnSuccess: true,
      onUploadUrlAvailable: function () { created(); },
      onProgress: function (sent, total) {
        lastSent = sent;
        show(sent, total);
      },
      onShouldRetry: function (error) {
        var response = error.originalResponse;
        var code = response ? response.getStatus() : 0;
        // The server said no for a reason that will not change: say it, do not retry.
        if (code >= 400 && code < 500 && code !== 409 && code !== 423 && code !== 429) { return false; }
        status.textContent = say("retrying");
        return true;
      },
      onError: function (error) {
        created();
        var response = error.originalResponse;
        var code = response ? response.getStatus() : 0;
        if (!code || code >= 500) {
          // No answer (offline) or a server in trouble: waits for the network to come back.
          entry.offline = true;
          status.textContent = code && response.getBody() ? say("failed", {reason: response.getBody()}) : say("retrying");
          return;
        }
        status.textContent = say("failed", {reason: (response.getBody() || "").slice(0, 300)});
        status.classList.add("text-danger");
        actions.remove();
        bar.remove();
        settle(entry);
      },
      onSuccess: function () {
        fill.style.width = "100%";
        fill.classList.add("bg-success");
        bar.setAttribute("aria-valuenow", "100");
        status.textContent = say("done");
        item.classList.add("large-upload-done");
        actions.remove();
        settle(entry);
      }
    });
    entry.upload = upload;
    running.push(entry);
    refreshButtons();

    function begin() {
      entry.offline = false;
      upload.findPreviousUploads().then(function (previous) {
        if (previous.length) { upload.resumeFromPreviousUpload(previous[0]); }
        upload.start();
      });
    }
    entry.begin = begin;

    pause.addEventListener("click", function () {
      if (entry.paused) {
        entry.paused = false;
        pause.textContent = say("pause");
        begin();
      } else {
        entry.paused = true;
        upload.abort();
        pause.textContent = say("resume");
        status.textContent = say("paused", {percent: percent(lastSent, file.size)});
      }
    });
    cancel.addEventListener("click", function () {
      created();
      upload.abort(true).catch(function () { /* deleted by the expiry job at the latest */ });
      if (upload._urlStorageKey) { sessionStorage.removeItem(upload._urlStorageKey); }
      item.remove();
      settle(entry);
    });
    creating = creating.then(function () {
      return new Promise(function (resolve) {
        created = resolve;
        setTimeout(resolve, 30000);  // never wait for ever behind one that hangs
        begin();
      });
    });
  }

  // The network is back (a train out of a tunnel, wifi instead of mobile): go on at once.
  // (tus-js-client would wait for its next retry, up to a minute away.)
  window.addEventListener("online", function () {
    running.forEach(function (entry) {
      if (entry.paused) { return; }
      if (entry.offline) { entry.begin(); return; }
      entry.upload.abort().then(entry.begin, entry.begin);
    });
  });

  function addAll(files) {
    Array.prototype.forEach.call(files, add);
    hints.forEach(function (hint) { hint.remove(); });
    hints = [];
  }

  input.addEventListener("change", function () {
    addAll(input.files);
    input.value = "";
  });
  // Files over the form's direct limit, handed over by forms.js.
  box.addEventListener("large-upload:add", function (event) { addAll(event.detail); });

  // After a reload: what was not finished, and how to go on with it.
  var hints = [];
  stored(null).forEach(function (entry) {
    if (!entry.uploadUrl) { return; }
    fetch(entry.uploadUrl, {method: "HEAD", headers: {"Tus-Resumable": "1.0.0"}, credentials: "same-origin", cache: "no-store"})
      .then(function (response) {
        if (response.status === 404) { sessionStorage.removeItem(entry.urlStorageKey); return; }
        var offset = parseInt(response.headers.get("Upload-Offset") || "0", 10);
        var hint = document.createElement("li");
        hint.className = "large-upload-hint small text-muted mb-1";
        hint.textContent = say("resume-hint", {
          name: (entry.metadata && entry.metadata.filename) || "",
          percent: percent(offset, entry.size || 1)
        });
        list.appendChild(hint);
        hints.push(hint);
      })
      .catch(function () { /* offline: nothing to say yet */ });
  });
})();

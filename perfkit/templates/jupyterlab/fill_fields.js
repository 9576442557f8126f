// perfkit, inside JupyterLab only: fill {{ field }} in this notebook's rendered Markdown
// cells with the quarter's figures, as report.html prints them. JupyterLab renders Markdown
// in the browser and never asks the kernel, so the report's header carries the fields and
// this script. The page never has it (perfkit fills the fields itself there).
// Values are put in as text (textContent), never as HTML. A field perfkit does not know is
// left as typed: the published run names it as an error.
(function () {
  "use strict";
  var fields = /*FIELDS*/null;
  var here = document.currentScript;
  var notebook = here && here.closest(".jp-Notebook");
  if (!notebook || !fields) return;
  // A field as perfkit/covering.py reads one: dotted names, or a quoted key in brackets;
  // and a note for the officer, {# ... #}, which the page leaves out.
  var FIELD = /\{\{\s*([A-Za-z_][\w-]*(?:\.[\w-]+|\[\s*'[^'\\{}]{1,100}'\s*\])*)\s*\}\}|\{#[\s\S]*?#\}/g;
  var SEGMENT = /\.([\w-]+)|\[\s*'([^']*)'\s*\]/g;

  function lookup(path) {
    var head = /^[A-Za-z_][\w-]*/.exec(path);
    var value = fields, own = Object.prototype.hasOwnProperty, match;
    if (!own.call(value, head[0])) return null;
    value = value[head[0]];
    SEGMENT.lastIndex = head[0].length;
    while ((match = SEGMENT.exec(path)) !== null) {
      var key = match[1] !== undefined ? match[1] : match[2];
      if (value === null || typeof value !== "object" || !own.call(value, key)) return null;
      value = value[key];
    }
    return typeof value === "string" ? value : null;
  }

  function fillText(node) {
    var text = node.nodeValue, out = document.createDocumentFragment(), last = 0, changed = false;
    FIELD.lastIndex = 0;
    var match;
    while ((match = FIELD.exec(text)) !== null) {
      var value = match[1] === undefined ? "" : lookup(match[1]);
      if (value === null) continue;  // unknown: left as typed
      out.appendChild(document.createTextNode(text.slice(last, match.index)));
      var span = document.createElement("span");
      span.setAttribute("data-perfkit-field", match[0]);
      span.textContent = value;
      out.appendChild(span);
      last = match.index + match[0].length;
      changed = true;
    }
    if (!changed) return;
    out.appendChild(document.createTextNode(text.slice(last)));
    node.parentNode.replaceChild(out, node);
  }

  function fill() {
    var rendered = notebook.querySelectorAll(".jp-MarkdownCell .jp-RenderedMarkdown");
    for (var i = 0; i < rendered.length; i++) {
      // Fields filled by an earlier run of the report: this run's values.
      var spans = rendered[i].querySelectorAll("span[data-perfkit-field]");
      for (var j = 0; j < spans.length; j++) {
        var typed = spans[j].getAttribute("data-perfkit-field"), inner = /^\{\{\s*(.*?)\s*\}\}$/.exec(typed);
        var value = inner ? lookup(inner[1]) : "";
        var now = value === null ? typed : value;
        if (spans[j].textContent !== now) spans[j].textContent = now;
      }
      var walker = document.createTreeWalker(rendered[i], NodeFilter.SHOW_TEXT), found = [], node;
      while ((node = walker.nextNode())) {
        if (node.nodeValue.indexOf("{") >= 0 && !node.parentNode.closest("span[data-perfkit-field]")) found.push(node);
      }
      found.forEach(fillText);
    }
  }

  function touchesMarkdown(records) {
    for (var i = 0; i < records.length; i++) {
      var target = records[i].target;
      var element = target.nodeType === 1 ? target : target.parentElement;
      if (element && element.closest(".jp-MarkdownCell")) return true;
      var added = records[i].addedNodes;
      for (var j = 0; j < added.length; j++) {
        if (added[j].nodeType === 1 && (added[j].matches(".jp-MarkdownCell, .jp-RenderedMarkdown")
            || added[j].querySelector(".jp-RenderedMarkdown"))) return true;
      }
    }
    return false;
  }

  if (!notebook.perfkitObserver) {
    notebook.perfkitObserver = new MutationObserver(function (records) {
      if (touchesMarkdown(records)) notebook.perfkitFill();
    });
    notebook.perfkitObserver.observe(notebook, {childList: true, subtree: true, characterData: true});
  }
  notebook.perfkitFill = fill;  // the latest run's fields, for the observer made by the first
  fill();
})();

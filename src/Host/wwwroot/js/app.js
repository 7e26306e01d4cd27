// Small progressive enhancements; every page works without this file.
(() => {
  'use strict';

  // After a post, focus goes to the message that says what happened. After an in-page (enhanced)
  // navigation it goes to the new page's heading, as a full page load would start at the top.
  function focusMessage(enhanced) {
    const target = document.querySelector('[data-focus-on-load]') || (enhanced === true ? document.querySelector('h1') : null);
    if (target) {
      if (!target.hasAttribute('tabindex')) {
        target.setAttribute('tabindex', '-1');
      }
      target.focus();
    }
  }

  // Warn before leaving a form with unsaved changes.
  let dirty = null;
  document.addEventListener('input', (event) => {
    const form = event.target.closest && event.target.closest('form[data-warn-unsaved]');
    if (form) {
      dirty = form;
    }
  });
  document.addEventListener('submit', () => { dirty = null; });
  window.addEventListener('beforeunload', (event) => {
    if (dirty) {
      event.preventDefault();
      event.returnValue = '';
    }
  });
  document.addEventListener('click', (event) => {
    const link = event.target.closest && event.target.closest('a[href]');
    if (dirty && link && !link.hasAttribute('download') && !window.confirm(dirty.dataset.warnUnsaved)) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);

  // Filters apply as soon as a choice changes; the 絞り込む button stays for keyboards and no script.
  document.addEventListener('change', (event) => {
    const form = event.target.closest && event.target.closest('form[data-auto-submit]');
    if (form && event.target.matches('select')) {
      form.requestSubmit();
    }
  });

  // A button pressed twice posts once (the form's idempotency key covers the rest).
  document.addEventListener('submit', (event) => {
    const form = event.target;
    if (form.dataset.submitted === 'true') {
      event.preventDefault();
      return;
    }
    if (form.method === 'post') {
      form.dataset.submitted = 'true';
      setTimeout(() => { form.dataset.submitted = 'false'; }, 4000);
    }
  });

  // 一括承認: a "select all" checkbox for the rows that may be decided in bulk. Without script the
  // page offers a link that renders them all checked; with it, the checkbox replaces the link.
  function enhanceSelectAll() {
    document.querySelectorAll('[data-js-only]').forEach((element) => { element.hidden = false; });
    document.querySelectorAll('[data-no-js]').forEach((element) => { element.hidden = true; });
    document.querySelectorAll('[data-select-all]').forEach(syncSelectAll);
  }

  function picks(selectAll) {
    return Array.from(selectAll.form ? selectAll.form.querySelectorAll('input[type="checkbox"][name="Pick"]') : []);
  }

  function syncSelectAll(selectAll) {
    const boxes = picks(selectAll);
    const checked = boxes.filter((box) => box.checked).length;
    selectAll.checked = boxes.length > 0 && checked === boxes.length;
    selectAll.indeterminate = checked > 0 && checked < boxes.length;
  }

  document.addEventListener('change', (event) => {
    const target = event.target;
    if (target.matches && target.matches('[data-select-all]')) {
      picks(target).forEach((box) => { box.checked = target.checked; });
    } else if (target.matches && target.matches('input[type="checkbox"][name="Pick"]') && target.form) {
      target.form.querySelectorAll('[data-select-all]').forEach(syncSelectAll);
    }
  });

  function onLoad(enhanced) {
    enhanceSelectAll();
    focusMessage(enhanced);
  }

  document.addEventListener('DOMContentLoaded', () => onLoad(false));
  if (window.Blazor && window.Blazor.addEventListener) {
    window.Blazor.addEventListener('enhancedload', () => onLoad(true));
  } else {
    document.addEventListener('DOMContentLoaded', () => {
      if (window.Blazor && window.Blazor.addEventListener) {
        window.Blazor.addEventListener('enhancedload', () => onLoad(true));
      }
    });
  }
})();

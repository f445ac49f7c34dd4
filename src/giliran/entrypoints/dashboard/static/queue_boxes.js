// Checkboxes for choosing queues, in the dialogs that choose them (a new agent, an agent's
// settings, an invited supervisor). Filled when a dialog opens, and again whenever the floor's
// queues are read while it is open: a dialog opened before the first read finished (a slow
// floor) offered no queue at all and stayed so. What was ticked by hand is kept.

const filled = new Map();  // container → the names ticked when it was opened

export function fillQueueBoxes(container, queues, ticked) {
  filled.set(container, new Set(ticked));
  render(container, queues);
}

export function queuesRead(queues) {
  for (const container of filled.keys()) {
    if (container.closest("dialog")?.open) render(container, queues);
  }
}

function render(container, queues) {
  const now = new Map([...container.querySelectorAll("input")].map((i) => [i.value, i.checked]));
  const ticked = filled.get(container);
  const boxes = queues.map((q) => {
    const label = document.createElement("label");
    label.className = "check";
    const box = Object.assign(document.createElement("input"), { type: "checkbox", value: q.name });
    box.checked = now.get(q.name) ?? ticked.has(q.name);
    label.append(box, ` ${q.name}`);
    return label;
  });
  container.replaceChildren(...boxes);
}

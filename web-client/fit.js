// Fitting text to the screen. The projector "stage" is one viewport high:
// its type sizes are floor + var(--fit) × range (style.css), and fitStage
// finds the largest --fit at which nothing overflows. Code that is still too
// wide at the floor wraps (hanging indent, a bar and ↩ on every continued
// line); anything that still does not fit scrolls with a visible hint and is
// keyboard-focusable. A stage may offer several arrangements (the reveal
// with code): the one that fits with the largest type is kept. Phones use
// fitCode: shrink within a floor, then wrap.

const SCROLLERS = '.code-block, .why';
const FIT_STEPS = 8;
const PHONE_CODE_PX = { max: 14, min: 12, step: 0.5 };

function over(e) {
  return e.scrollHeight > e.clientHeight + 1 || e.scrollWidth > e.clientWidth + 1;
}

function overWide(e) {
  return e.scrollWidth > e.clientWidth + 1;
}

// Boxes that must not overflow either (the reveal's side column included).
const BOXES = '.players, .lb, .rv-side';

// With whyMayScroll, an explanation scrolling at its floor does not count.
function stageOverflows(stage, { whyMayScroll = false } = {}) {
  if (stage.scrollHeight > stage.clientHeight + 1) return true;
  const scrollers = whyMayScroll ? '.code-block' : SCROLLERS;
  for (const e of stage.querySelectorAll(`${scrollers}, ${BOXES}`)) if (over(e)) return true;
  return false;
}

// The explanation on the reveal may shrink to this many lines before it
// scrolls; the host's controls below it never leave the screen.
const WHY_FLOOR_LINES = 3;

// A flex item that may shrink, but not below the smaller of its content
// and the floor (a short explanation keeps its own height).
function floorWhy(stage) {
  for (const w of stage.querySelectorAll('.why')) {
    w.style.minHeight = '';
    const cs = getComputedStyle(w);
    const fsz = parseFloat(cs.fontSize);
    const lh = parseFloat(cs.lineHeight) || fsz * 1.35;
    const floor = WHY_FLOOR_LINES * lh + parseFloat(cs.paddingTop) + parseFloat(cs.paddingBottom);
    w.style.minHeight = `${Math.min(w.scrollHeight, floor)}px`;
  }
}

function searchFit(stage) {
  const set = (f) => {
    stage.style.setProperty('--fit', f.toFixed(3));
    floorWhy(stage);
  };
  set(1);
  if (!stageOverflows(stage)) return 1;
  let lo = 0;
  let hi = 1;
  for (let i = 0; i < FIT_STEPS; i++) {
    const mid = (lo + hi) / 2;
    set(mid);
    if (stageOverflows(stage)) hi = mid;
    else lo = mid;
  }
  set(lo);
  return lo;
}

// Marks continued (wrapped) lines and scrollable blocks.
export function markCode(root) {
  for (const wrap of root.querySelectorAll('.code-wrap')) markWrap(wrap);
  for (const why of root.querySelectorAll('.why')) markScroll(null, why);
}

function markWrap(wrap) {
  const block = wrap.querySelector('.code-block');
  const lh = parseFloat(getComputedStyle(block).lineHeight) || 20;
  const wrapped = block.classList.contains('wrap');
  for (const ln of block.querySelectorAll('.ln')) ln.classList.toggle('cont', wrapped && ln.offsetHeight > lh * 1.5);
  markScroll(wrap, block);
}

function markScroll(wrap, block) {
  const scrolls = over(block);
  if (!wrap) block.classList.toggle('scrolls', scrolls);
  if (wrap) {
    wrap.classList.toggle('scrolls', scrolls);
    const more = wrap.querySelector('.code-more');
    if (more) more.textContent = overWide(block) ? 'Scroll sideways for more →' : 'Scroll for more ↓';
  }
  // A region that scrolls must be reachable from the keyboard.
  if (scrolls) block.setAttribute('tabindex', '0');
  else block.removeAttribute('tabindex');
}

// A stage may offer several arrangements, preferred first
// (data-layouts="stack side tight", each a class lay-NAME in style.css):
// each is fitted, and the one that fits with the largest type wins; when
// none fits, the first one (whose code box then wraps or scrolls).
function fitLayouts(stage) {
  const names = (stage.dataset.layouts || '').split(' ').filter(Boolean);
  const use = (name) => { for (const n of names) stage.classList.toggle(`lay-${n}`, n === name); };
  if (names.length < 2) {
    use(names[0]);
    return searchFit(stage);
  }
  let best = null;
  for (const name of names) {
    use(name);
    const f = searchFit(stage);
    if (!stageOverflows(stage, { whyMayScroll: true }) && (!best || f > best.f)) best = { name, f };
  }
  use(best ? best.name : names[0]);
  return searchFit(stage);
}

export function fitStage(stage) {
  const blocks = [...stage.querySelectorAll('.code-block')];
  for (const b of blocks) b.classList.remove('wrap');
  const players = stage.querySelector('.players');
  if (players) players.classList.remove('newest-first');
  const f = fitLayouts(stage);
  if (f === 0) {
    if (blocks.some(overWide)) {
      for (const b of blocks) b.classList.add('wrap');
      searchFit(stage);
    }
    // A lobby too full even at the smallest names: show the newest joiners
    // first, so whoever just joined sees their name.
    if (players && over(players) && !players.classList.contains('newest-first')) {
      players.classList.add('newest-first');
      players.replaceChildren(...[...players.children].reverse());
    }
  }
  markCode(stage);
  return Number(stage.style.getPropertyValue('--fit'));
}

// Phone code blocks: no height budget (the page scrolls, the block has a
// max-height in CSS), only the width matters.
export function fitCode(wrap) {
  const block = wrap.querySelector('.code-block');
  block.classList.remove('wrap');
  let px = PHONE_CODE_PX.max;
  block.style.setProperty('--code-fs', `${px}px`);
  while (overWide(block) && px > PHONE_CODE_PX.min) {
    px -= PHONE_CODE_PX.step;
    block.style.setProperty('--code-fs', `${px}px`);
  }
  if (overWide(block)) block.classList.add('wrap');
  markWrap(wrap);
}

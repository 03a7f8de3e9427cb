import { useEffect, useRef, useState, type KeyboardEvent, type PointerEvent } from 'react';
import { FormattedMessage, useIntl } from 'react-intl';

export type Spot = { spot: number; label: string };
/** Cells of the grid that are spots, as "row:column" (both from 0). */
export type Cells = Set<string>;

const MAX_ROWS = 26;
const MAX_COLUMNS = 20;
const rowName = (r: number) => String.fromCharCode(65 + r);
const cell = (r: number, c: number) => `${r}:${c}`;

/**
 * A grid laid out from a saved seat map. Spots this editor wrote are labelled by row letter and column number
 * (A1, A2, B1…); any other labels (made through the API) are laid out ten to a row so they can still be seen.
 */
export function cellsOf(spots: Spot[] | null | undefined): { rows: number; columns: number; cells: Cells } {
  if (!spots || spots.length === 0) return { rows: 4, columns: 6, cells: new Set() };
  const parsed = spots.map((s) => /^([A-Z])(\d{1,2})$/.exec(s.label));
  const placed = parsed.every((m) => m && Number(m[2]) >= 1 && Number(m[2]) <= MAX_COLUMNS)
    ? parsed.map((m) => [m![1]!.charCodeAt(0) - 65, Number(m![2]) - 1] as const)
    : spots.map((_, i) => [Math.floor(i / 10), i % 10] as const);
  return {
    rows: Math.min(MAX_ROWS, Math.max(...placed.map(([r]) => r + 1))),
    columns: Math.max(...placed.map(([, c]) => c + 1)),
    cells: new Set(placed.map(([r, c]) => cell(r, c))),
  };
}

/** The seat map the API takes: spots numbered in reading order, row by row. */
export function spotsOf(cells: Cells, rows: number, columns: number): Spot[] {
  const spots: Spot[] = [];
  for (let r = 0; r < rows; r++) for (let c = 0; c < columns; c++) if (cells.has(cell(r, c))) spots.push({ spot: spots.length + 1, label: `${rowName(r)}${c + 1}` });
  return spots;
}

/**
 * The seat-map editor: a grid of cells, each a toggle button (a spot or not). Pressing and dragging across cells
 * (mouse, pen or finger) paints them all the way the first one turned; by keyboard, arrows move between cells
 * and Space or Enter turns one.
 */
export function SeatMapEditor({ rows, columns, cells, onChange }: { rows: number; columns: number; cells: Cells; onChange: (next: { rows: number; columns: number; cells: Cells }) => void }) {
  const intl = useIntl();
  const grid = useRef<HTMLDivElement>(null);
  const painting = useRef<boolean | null>(null);
  const [focus, setFocus] = useState(cell(0, 0));
  const latest = useRef(cells);
  latest.current = cells;

  useEffect(() => {
    const stop = () => { painting.current = null; };
    window.addEventListener('pointerup', stop);
    window.addEventListener('pointercancel', stop);
    return () => {
      window.removeEventListener('pointerup', stop);
      window.removeEventListener('pointercancel', stop);
    };
  }, []);

  const set = (key: string, on: boolean) => {
    if (latest.current.has(key) === on) return;
    const next = new Set(latest.current);
    if (on) next.add(key);
    else next.delete(key);
    latest.current = next;
    onChange({ rows, columns, cells: next });
  };
  const resize = (r: number, c: number) => {
    const kept = new Set([...cells].filter((k) => { const [a, b] = k.split(':').map(Number); return a! < r && b! < c; }));
    setFocus(cell(0, 0));
    onChange({ rows: r, columns: c, cells: kept });
  };
  const fill = (on: boolean) => {
    const next = new Set<string>();
    if (on) for (let r = 0; r < rows; r++) for (let c = 0; c < columns; c++) next.add(cell(r, c));
    onChange({ rows, columns, cells: next });
  };

  // A finger holds the pointer on the cell it pressed, so the cell under it is looked up as it moves.
  const cellAt = (e: PointerEvent) => (document.elementFromPoint(e.clientX, e.clientY) as HTMLElement | null)?.closest<HTMLElement>('[data-cell]')?.dataset.cell;
  const down = (e: PointerEvent) => {
    const key = cellAt(e);
    if (!key || e.button !== 0) return;
    e.preventDefault();
    painting.current = !latest.current.has(key);
    set(key, painting.current);
    setFocus(key);
  };
  const move = (e: PointerEvent) => {
    if (painting.current === null) return;
    const key = cellAt(e);
    if (key) set(key, painting.current);
  };
  const arrows = (e: KeyboardEvent, r: number, c: number) => {
    const to = { ArrowUp: [r - 1, c], ArrowDown: [r + 1, c], ArrowLeft: [r, c - 1], ArrowRight: [r, c + 1] }[e.key];
    if (!to) return;
    e.preventDefault();
    const [nr, nc] = [Math.min(rows - 1, Math.max(0, to[0]!)), Math.min(columns - 1, Math.max(0, to[1]!))];
    setFocus(cell(nr, nc));
    grid.current?.querySelector<HTMLElement>(`[data-cell="${cell(nr, nc)}"]`)?.focus();
  };

  const count = cells.size;
  return (
    // A fieldset is as wide as its content unless told otherwise; the grid scrolls inside it instead.
    <fieldset className="seat-map" style={{ minWidth: 0 }}>
      <legend><FormattedMessage id="setup.rooms.seatMap" /></legend>
      <p className="hint muted"><FormattedMessage id="setup.rooms.seatMapHelp" /></p>
      <div className="inline-fields">
        <label>
          <span><FormattedMessage id="setup.rooms.rows" /></span>
          <input type="number" min={1} max={MAX_ROWS} value={rows} onChange={(e) => resize(Math.min(MAX_ROWS, Math.max(1, Number(e.target.value) || 1)), columns)} />
        </label>
        <label>
          <span><FormattedMessage id="setup.rooms.columns" /></span>
          <input type="number" min={1} max={MAX_COLUMNS} value={columns} onChange={(e) => resize(rows, Math.min(MAX_COLUMNS, Math.max(1, Number(e.target.value) || 1)))} />
        </label>
        <button type="button" className="secondary" onClick={() => fill(true)}><FormattedMessage id="setup.rooms.fillAll" /></button>
        <button type="button" className="secondary" onClick={() => fill(false)}><FormattedMessage id="setup.rooms.clearAll" /></button>
      </div>
      <div style={{ overflowX: 'auto', maxWidth: '100%' }}>
        <div
          ref={grid}
          role="group"
          aria-label={intl.formatMessage({ id: 'setup.rooms.grid' })}
          onPointerDown={down}
          onPointerMove={move}
          style={{ display: 'grid', gridTemplateColumns: `repeat(${columns}, 2.75rem)`, gap: '0.25rem', touchAction: 'none', userSelect: 'none', padding: '0.25rem' }}
        >
          {Array.from({ length: rows * columns }, (_, i) => {
            const [r, c] = [Math.floor(i / columns), i % columns];
            const key = cell(r, c);
            const on = cells.has(key);
            const label = `${rowName(r)}${c + 1}`;
            return (
              <button
                key={key}
                type="button"
                data-cell={key}
                className={on ? '' : 'secondary'}
                aria-pressed={on}
                aria-label={intl.formatMessage({ id: 'setup.rooms.cell' }, { label })}
                tabIndex={key === focus ? 0 : -1}
                // A click of the mouse or a finger was handled on press; this is Space or Enter (no pointer).
                onClick={(e) => { if (e.detail === 0) set(key, !on); }}
                onKeyDown={(e) => arrows(e, r, c)}
                onFocus={() => setFocus(key)}
                style={{ minWidth: 0, minHeight: '2.75rem', padding: 0, fontSize: '0.8rem' }}
              >
                {on ? label : '·'}
              </button>
            );
          })}
        </div>
      </div>
      <p aria-live="polite"><FormattedMessage id="setup.rooms.spotCount" values={{ count }} /></p>
    </fieldset>
  );
}

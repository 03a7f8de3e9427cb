/**
 * One CSV record (RFC 4180: quoted when needed, quotes doubled). A cell a spreadsheet would run as a formula
 * (=, +, -, @ first) gets a leading apostrophe, so a member's name cannot become a formula in staff's Excel.
 */
export function csvLine(cells: string[]) {
  return cells
    .map((cell) => (/^[=+\-@\t\r]/.test(cell) ? `'${cell}` : cell))
    .map((cell) => (/[",\r\n]/.test(cell) ? `"${cell.replaceAll('"', '""')}"` : cell))
    .join(',');
}

/** A CSV file as spreadsheets in Japan open it: UTF-8 with a byte order mark, CRLF line ends. */
export const csvFile = (lines: string[]) => Buffer.from(`\uFEFF${lines.join('\r\n')}\r\n`, 'utf8');

import { z } from 'zod';
import type { MessageId } from './i18n.js';

/**
 * The days a studio's records and plans can be about. Anything outside is a typo (20260 for 2026) or a probe, and
 * once stored it would sit at the end of every list and stretch every range query; each input names the window
 * in its error. Rules tied to today (a lesson at most two years ahead, a birth date not in the future) are checked
 * by the services, on the app's clock.
 */
export const DATE_WINDOW = { from: '2000-01-01', to: '2099-12-31' } as const;
/** The refinement's message (a catalog id, rendered in the reader's language): it names the window's two days. */
export const outsideDateWindow: MessageId = 'validation.outside_date_window';

export const withinDateWindow = (date: string) => date >= DATE_WINDOW.from && date <= DATE_WINDOW.to;

/** A calendar day, YYYY-MM-DD, in the window. */
export const calendarDate = z.iso.date().refine(withinDateWindow, outsideDateWindow);

/** A month, YYYY-MM, in the window. */
export const calendarMonth = z
  .string()
  .regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'use a month such as 2026-12')
  .refine((m) => withinDateWindow(`${m}-01`), outsideDateWindow);

/** An instant with its offset, in the window (read as a UTC day, which the window's width makes immaterial). */
export const calendarInstant = z.iso.datetime({ offset: true }).refine((t) => withinDateWindow(new Date(t).toISOString().slice(0, 10)), outsideDateWindow);

/** The earliest birth date a member may give; the latest is the studio's today (checked on the app's clock). */
export const EARLIEST_BIRTH_DATE = '1900-01-01';
export const birthDateInput = z.iso
  .date()
  .refine((d) => d >= EARLIEST_BIRTH_DATE && d <= DATE_WINDOW.to, 'validation.birth_date_range');

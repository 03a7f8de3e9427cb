import { parsePhoneNumberFromString } from 'libphonenumber-js/min';

/**
 * Digits as a phone number is written: 090-1234-5678 (Japanese numbers), +1 212… (others); what is stored stays
 * digits. Its own module, so only the staff screens that show phone numbers load the numbering plans.
 */
export function formatPhone(digits: string | null | undefined): string {
  if (!digits) return '';
  const parsed = parsePhoneNumberFromString(digits, 'JP');
  if (!parsed?.isValid()) return digits;
  return parsed.country === 'JP' ? parsed.formatNational() : parsed.formatInternational();
}

import { z } from 'zod';
import { loginResponse, timestamp } from './auth.schemas.js';

export const challenge = z.string().min(10).max(200).describe('The challenge the password step answered with');
/** A 6-digit code from the authenticator app, or (where allowed) a recovery code like `abcde-fghjk`. */
export const code = z.string().trim().min(6).max(20).meta({ example: '123456' });
export const totpCode = z.string().trim().regex(/^\d{6}$/, 'validation.totp_code').meta({ example: '123456' });

export const secondStep = z
  .object({
    twoFactor: z.enum(['code', 'enrol']).describe('code: send a code to /api/auth/login/code; enrol: the studio requires setting up two-factor sign-in first'),
    challenge: z.string().describe('Allows only the second step; it is no session'),
    expiresAt: timestamp,
  })
  .meta({ id: 'SignInSecondStep' });

export const staffLoginResponse = z.union([loginResponse, secondStep]);

export const codeLoginBody = z.object({ challenge, code });
export const enrolmentBody = z.object({ challenge });
export const enrolmentConfirmBody = z.object({ challenge, code: totpCode });

export const recoveryCodes = z.object({ recoveryCodes: z.array(z.string()).describe('Shown once; each works once') });
export const enrolledSession = loginResponse.extend(recoveryCodes.shape);

export const setup = z
  .object({
    secret: z.string().describe('Base32, for typing into the app when the QR code cannot be scanned'),
    otpauthUri: z.string(),
    qrCode: z.string().describe('The otpauth URI as a PNG data URL'),
  })
  .meta({ id: 'TwoFactorSetup' });

export const status = z
  .object({
    enabled: z.boolean(),
    enabledAt: timestamp.nullable(),
    recoveryCodesLeft: z.int(),
    requiredByStudio: z.boolean(),
  })
  .meta({ id: 'TwoFactorStatus' });

export const confirmBody = z.object({ code: totpCode });
export const disableBody = z.object({ code });

export const policy = z.object({ requireStaffTwoFactor: z.boolean() }).meta({ id: 'StaffSecurityPolicy' });

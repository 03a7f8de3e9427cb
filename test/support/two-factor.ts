import { generate } from 'otplib';
import type { TestPlatform } from './platform.js';

/** The authenticator app's code for the app's clock, `steps` 30-second steps on (a later code than the last one used). */
export const totpAt = (platform: TestPlatform, secret: string, steps = 0) =>
  generate({ secret, epoch: Math.floor(platform.runtime.clock.now().getTime() / 1000) + steps * 30 });

import { describe, expect, it } from 'vitest';
import { MeasurementStatus, MedsimError, Unit, VitalParameter, decodeMessage, encodeMessage } from '@medsim/protocol';
import { exportReadingAsJwe, openJwe, sealJwe } from '@medsim/crypto';
import { compactDecrypt, decodeProtectedHeader } from 'jose';
import { identities } from './fixtures.js';

const { gateway, other } = identities;

describe('JWE baseline and export', () => {
  it('[CTL-07] seals one reading per JWE with ECDH-ES+A256KW / A256GCM and opens it', { tags: ['CTL-07'] }, async () => {
    const jwe = await sealJwe(Buffer.from('reading'), gateway.public.agreement);
    expect(decodeProtectedHeader(jwe)).toMatchObject({ alg: 'ECDH-ES+A256KW', enc: 'A256GCM', kid: gateway.public.agreement.kid });
    expect(Buffer.from((await openJwe(jwe, gateway)).plaintext).toString()).toBe('reading');
  });

  it('[CTL-07] refuses the wrong recipient, a tampered token and garbage with typed errors', { tags: ['CTL-07'] }, async () => {
    const jwe = await sealJwe(Buffer.from('reading'), gateway.public.agreement);
    await expect(openJwe(jwe, other)).rejects.toMatchObject({ code: 'ERR_CRYPTO_AUTH_FAILED' });
    const parts = jwe.split('.');
    parts[3] = `${parts[3]!.startsWith('A') ? 'B' : 'A'}${parts[3]!.slice(1)}`;
    await expect(openJwe(parts.join('.'), gateway)).rejects.toBeInstanceOf(MedsimError);
    await expect(openJwe('garbage', gateway)).rejects.toMatchObject({ code: 'ERR_CRYPTO_MALFORMED' });
  });

  it('[CTL-07] exports a reading as a JWE that a plain JOSE library opens into MDC codes and UCUM units', { tags: ['CTL-07'] }, async () => {
    const reading = decodeMessage(
      'VitalSignReading',
      encodeMessage('VitalSignReading', {
        measuredAtMs: Date.UTC(2026, 10, 28, 9, 30),
        observations: [
          { parameter: VitalParameter.MDC_PULS_OXIM_SAT_O2, unit: Unit.MDC_DIM_PERCENT, value: 97, status: MeasurementStatus.MEASUREMENT_STATUS_VALID },
          { parameter: VitalParameter.MDC_PULS_OXIM_PULS_RATE, unit: Unit.MDC_DIM_BEAT_PER_MIN, value: 72, status: MeasurementStatus.MEASUREMENT_STATUS_VALID },
        ],
      }),
    );
    const jwe = await exportReadingAsJwe('pulse-ox-0001', reading, gateway.public.agreement);
    // Opened with jose's generic API and the exported private JWK only: no medsim code involved.
    const { plaintext, protectedHeader } = await compactDecrypt(jwe, gateway.exportPrivateJwks().agreement as never);
    expect(protectedHeader.cty).toBe('application/vnd.medsim.reading+json');
    expect(JSON.parse(Buffer.from(plaintext).toString())).toEqual({
      deviceId: 'pulse-ox-0001',
      measuredAt: '2026-11-28T09:30:00.000Z',
      observations: [
        { mdc: 'MDC_PULS_OXIM_SAT_O2', code: 150456, value: 97, unit: '%', unitCode: 262688, status: 'VALID' },
        { mdc: 'MDC_PULS_OXIM_PULS_RATE', code: 149530, value: 72, unit: '/min', unitCode: 264864, status: 'VALID' },
      ],
    });
  });
});

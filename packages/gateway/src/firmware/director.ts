/**
 * The director (Uptane's split, issue 5): per device, which image to install now. The TUF image
 * repository, signed offline by the release keys, says which images exist; the director, with the
 * gateway's own online key, tells one device to install one of them, in a compact JWS
 * (`signDirectorInstruction` of @medsim/firmware, typ `medsim-fw-director+jws`). The device
 * installs only an image both agree on, so this key alone cannot ship code the release keys never
 * signed, and the repository alone cannot choose which device installs what.
 *
 * The director key is its own Ed25519 identity, created on first start and kept 0600 in the
 * data directory beside the other keys (CTL-11: apart from the session identity, the token key
 * and the therapy command key); its public half reaches each device at enrolment (`directorKey`).
 *
 * Each instruction: sub = the device, a random 16-byte nonce (jti), iat and exp
 * (`firmware.instructionTtlS`), the campaign, and the target's path, model, version, security
 * counter, length and SHA-256 as the repository index holds them. An instruction is issued only
 * for a device its running campaign's current stage includes; asked again while more than half
 * its lifetime remains, the same one is returned (one nonce per update attempt), unless the
 * device sends the nonce of its own update check, which always gets a new one bound to it.
 */
import type { Identity, PublicJwk } from '@medsim/crypto';
import { signDirectorInstruction, type DirectorInstruction } from '@medsim/firmware';
import { randomBytes } from 'node:crypto';
import type { GatewayContext } from '../context.js';
import type { Campaigns } from './campaigns.js';

/** Options of Director. */
export interface DirectorOptions {
  readonly ctx: GatewayContext;
  /** The director identity (only its Ed25519 half signs). */
  readonly key: Identity;
  readonly campaigns: Campaigns;
  /** Lifetime of an instruction, ms (`firmware.instructionTtlS`). */
  readonly ttlMs: number;
}

/** Issues signed update instructions. */
export class Director {
  readonly #o: DirectorOptions;
  readonly #latest;
  readonly #insert;

  constructor(options: DirectorOptions) {
    this.#o = options;
    const { db } = options.ctx;
    this.#latest = db.prepare(
      'SELECT jws, expires_at FROM firmware_instructions WHERE device_id = ? AND campaign_id = ? AND check_nonce IS NULL ORDER BY issued_at DESC, rowid DESC LIMIT 1',
    );
    this.#insert = db.prepare('INSERT INTO firmware_instructions (jti, campaign_id, device_id, jws, check_nonce, issued_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)');
  }

  /** The director's public signing key (Ed25519 JWK with kid), as handed out at enrolment. */
  get publicKey(): PublicJwk {
    return this.#o.key.public.signing.jwk;
  }

  /**
   * The instruction for `deviceId` now, as a compact JWS, or undefined when no running campaign
   * offers it an update. `checkNonce`: the nonce of the device's update check, echoed in a new
   * instruction. A new instruction marks the device offered and is audited.
   */
  async instructionFor(deviceId: string, checkNonce: string | undefined, source: string): Promise<string | undefined> {
    const { ctx, campaigns } = this.#o;
    const assignment = campaigns.assignment(deviceId);
    if (assignment === undefined) return undefined;
    const now = ctx.now();
    if (checkNonce === undefined) {
      const latest = this.#latest.get(deviceId, assignment.campaignId) as { jws: string; expires_at: number } | undefined;
      if (latest !== undefined && latest.expires_at - now > this.#o.ttlMs / 2) return latest.jws;
    }
    const { target } = assignment;
    const instruction: DirectorInstruction = {
      v: 1,
      sub: deviceId,
      jti: randomBytes(16).toString('base64url'),
      iat: now,
      exp: now + this.#o.ttlMs,
      campaign: assignment.campaignId,
      target: { path: target.targetPath, model: target.model, version: target.version, securityCounter: target.securityCounter, length: target.length, sha256: target.sha256 },
      ...(checkNonce === undefined ? {} : { checkNonce }),
    };
    const jws = await signDirectorInstruction(this.#o.key, instruction);
    // The campaign may have been paused or aborted while signing: then nothing is issued.
    if (campaigns.assignment(deviceId)?.campaignId !== assignment.campaignId) return undefined;
    ctx.db.transaction(() => {
      this.#insert.run(instruction.jti, assignment.campaignId, deviceId, jws, checkNonce ?? null, instruction.iat, instruction.exp);
      campaigns.recordOffer(assignment.campaignId, deviceId, assignment.stage);
    })();
    ctx.audit.record({
      event: 'firmware.director-issue',
      outcome: 'success',
      severity: 'info',
      actor: deviceId,
      role: 'device',
      source,
      object: `firmware-campaign/${assignment.campaignId};device/${deviceId};jti/${instruction.jti}`,
    });
    return jws;
  }
}

/**
 * Loop detection (SPEC §6, 508). Each dispatcher process picks a random mark at start and
 * adds it to every request it forwards as a Via entry, `Via: 1.1 dhttp-<mark>`, after the
 * entries already there, as proxies do (RFC 9110 §7.6.3). A request that arrives with our
 * mark has been through this dispatcher already - its own address registered as a worker,
 * or a proxy that points back - and forwarding it again would loop.
 */
import { randomBytes } from 'node:crypto';

/** 96 random bits: no other proxy writes this by chance, and a client cannot guess it. */
const MARK = `dhttp-${randomBytes(12).toString('base64url')}`;

/** The Via field value this dispatcher adds to what it forwards. */
export const VIA_ENTRY = `1.1 ${MARK}`;

/**
 * Whether a Via field value (all its lines joined by commas) holds this dispatcher's
 * mark as a received-by: after the protocol's whitespace, before a comma, a comment or the end.
 */
export function passedThrough(via: string): boolean {
  for (let i = via.indexOf(MARK); i !== -1; i = via.indexOf(MARK, i + 1)) {
    const before = via.charCodeAt(i - 1);
    const after = via.charCodeAt(i + MARK.length);
    const spaceBefore = before === 0x20 || before === 0x09;
    const endAfter = Number.isNaN(after) || after === 0x2c || after === 0x20 || after === 0x09;
    if (spaceBefore && endAfter) return true;
  }
  return false;
}

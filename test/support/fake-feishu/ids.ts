/** Generators for Feishu-shaped identifiers (prefix + random hex, as the real ones look). */
import { randomBytes } from 'node:crypto';

const hex = (bytes: number): string => randomBytes(bytes).toString('hex');

export const newAppId = (): string => `cli_${hex(8)}`;
export const newOpenId = (): string => `ou_${hex(16)}`;
export const newUnionId = (): string => `on_${hex(16)}`;
export const newUserId = (): string => hex(4);
export const newChatId = (): string => `oc_${hex(16)}`;
export const newMessageId = (): string => `om_${hex(16)}`;
export const newThreadId = (): string => `omt_${hex(8)}`;
export const newEventId = (): string => hex(16);
export const newTenantToken = (): string => `t-${hex(20)}`;
export const newAppToken = (): string => `a-${hex(20)}`;
export const newReactionId = (): string => randomBytes(30).toString('base64url');
export const newImageKey = (): string => `img_v3_${hex(12)}`;
export const newFileKey = (): string => `file_v3_${hex(12)}`;
export const newTicket = (): string => hex(16);

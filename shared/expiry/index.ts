// The expiry stage: where an expiring object is used and what its users are told (pure).
export { expiryEvents, expiryMessage, expiryUses, type Expiring, type ExpiryEvent } from "./uses.js";

// Transitional: the vocabulary moved to shared/model/. Kept so that older import paths resolve during the move.
export type { RotationSignal, SignalSource, VaultObjectType, SpcObject, VaultObjectData, VaultConfig } from "./model/index.js";

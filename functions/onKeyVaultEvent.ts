// Event Grid trigger: Key Vault → Event Grid → here. Translates the trigger to the core; nothing else.
import { app, type InvocationContext } from "@azure/functions";
import { handleDelivery } from "../shared/entry/event-delivery.js";
import { getRuntime } from "../shared/pipeline/instance.js";
import { contextLog } from "../shared/entry/log.js";

export const FUNCTION_NAME = "onKeyVaultEvent";

export async function onKeyVaultEvent(event: unknown, context: InvocationContext): Promise<void> {
  await handleDelivery(getRuntime(), event, { invocationId: context.invocationId, log: contextLog(context) });
}

app.eventGrid(FUNCTION_NAME, { handler: onKeyVaultEvent as never });

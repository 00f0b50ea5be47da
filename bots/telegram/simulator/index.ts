export { startTelegramSimulator } from './simulator.js';
export type {
  SimCallbackQuery,
  SimTgCall,
  SimTgMessage,
  TelegramSimFault,
  TelegramSimulator,
  TelegramSimulatorOptions,
  TgCallbackQuery,
  TgChat,
  TgMessage,
  TgUpdate,
  TgUser,
  WebhookDelivery,
  WebhookState,
} from './simulator.js';
export { createTelegramDriver } from './driver.js';
export type { TelegramDriver, TelegramDriverResult, TelegramSendOptions } from './driver.js';

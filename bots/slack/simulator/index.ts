export { startSlackSimulator } from './simulator.js';
export type {
  MessageQuery,
  SimConversation,
  SimResponseUrlPost,
  SimSlackMessage,
  SimSlackUser,
  SimView,
  SimWebApiCall,
  SimWorkspace,
  SlackSimFault,
  SlackSimulator,
  SlackSimulatorOptions,
} from './simulator.js';
export { createSlackDriver } from './driver.js';
export type { BotEvent, ButtonClick, HttpOverrides, SlackDelivery, SlackDriver, SlackDriverOptions, SlackTransport } from './driver.js';
export { signSlackRequest } from './signing.js';

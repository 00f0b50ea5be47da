/**
 * Operator task lifecycle: the events the engine publishes when a manual task changes, and the contract of
 * whatever tells operators about them (a Slack channel today). Platform-neutral: no chat types here.
 */
import type { OperatorTaskView } from './task-view.js';

export const OPERATOR_TASK_EVENTS = [
  'task.opened', 'task.claimed', 'task.released', 'task.completed', 'task.failed', 'task.cancelled',
  /** Nobody claimed it within the nudge delay: announce it again (once per open period). */
  'task.nudge',
  /** Its claimer has not finished it within the reminder delay: remind them (once per claim). */
  'task.reminder',
] as const;
export type OperatorTaskEventType = (typeof OPERATOR_TASK_EVENTS)[number];

/** What a durable job carries: small, and the card is rendered from the task's state when the job runs. */
export interface OperatorTaskChange {
  type: OperatorTaskEventType;
  taskId: string;
  actionId: string;
  spaceId: string;
  /** Who did it (claimed/released/completed/failed), or whom a reminder is for. */
  operatorId: string | null;
  round: number;
  /** Unique per change: notifiers dedupe on it, so a re-run job or a retried request tells nobody twice. */
  key: string;
  at: string;
}

/** As published on the status bus: the change and the task as it stood right after it. */
export interface OperatorTaskEvent extends OperatorTaskChange { task: OperatorTaskView }

/** Tells operators about task changes (Slack channel card, App Home...). Must be idempotent per `change.key`. */
export interface OperatorNotifier {
  readonly name: string;
  notify(change: OperatorTaskChange, task: OperatorTaskView): Promise<void>;
}

/** Where changes go: the in-process bus at once, and a durable job that runs the notifiers. */
export interface OperatorTaskPublisher {
  publish(change: OperatorTaskChange): Promise<void>;
}

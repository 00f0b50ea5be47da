/** Loads an OperatorTaskView: the task, its action's order, the provider's contacts and the chain's attempts. */
import { ManualTask, Provider } from '../storage/models.js';
import { loadAction } from '../storage/action-state.js';
import { executionsOf } from '../storage/executions.js';
import { toActionView } from '../storage/views.js';
import type { AttemptRecord } from './attempts.js';
import { buildTaskView, type OperatorTaskView } from './task-view.js';

type TaskDoc = Parameters<typeof buildTaskView>[0]['task'] & { providerId: unknown };

export async function viewOf(task: TaskDoc): Promise<OperatorTaskView | null> {
  const [action, provider, executions] = await Promise.all([
    loadAction({ _id: String(task.actionId) }),
    Provider.findById(task.providerId).lean(),
    executionsOf(String(task.actionId), { chainIndex: 1, attempt: 1, handlerType: 1, handlerName: 1, status: 1, error: 1 }),
  ]);
  if (!action || !provider) return null;
  return buildTaskView({ task, order: toActionView(action).order, provider, executions: executions as AttemptRecord[] });
}

export async function loadTaskView(taskId: string): Promise<OperatorTaskView | null> {
  const task = await ManualTask.findById(taskId).lean();
  return task ? viewOf(task as unknown as TaskDoc) : null;
}

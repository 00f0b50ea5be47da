export const JOB = {
  step: 'action.step',
  confirmTimeout: 'action.confirm-timeout',
  notify: 'action.notify',
  sweep: 'actions.sweep',
} as const;

export const JOB = {
  notify: 'action.notify',
  cleanup: 'actions.cleanup',
} as const;

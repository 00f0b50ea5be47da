export const JOB = {
  notify: 'action.notify',
  cleanup: 'actions.cleanup',
  /** Tell the provider the customer cancelled an order it was sent (see engine/provider-cancel.ts). */
  providerCancel: 'action.provider-cancel',
} as const;

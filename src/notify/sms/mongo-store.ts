/** SmsStore on MongoDB: the claim is one insert on a unique _id (the dedupe key), written before Twilio is called. */
import { isStatusAdvance, type SmsStore } from './store.js';
import { insertOnce } from '../../storage/insert-once.js';
import { Notification } from '../../storage/models.js';

export const mongoSmsStore: SmsStore = {
  async claim(key, data) {
    return insertOnce(Notification, { _id: key, actionId: data.actionId, channel: 'sms', event: data.event, toMasked: data.toMasked, status: 'claimed' });
  },
  async markSent(key, sid) {
    await Notification.updateOne({ _id: key }, { $set: { status: 'sent', externalId: sid } });
  },
  async markFailed(key, message) {
    await Notification.updateOne({ _id: key }, { $set: { status: 'failed', error: message } });
  },
  async recordStatus(sid, status, errorCode) {
    const record = await Notification.findOne({ externalId: sid, channel: 'sms' }, { deliveryStatus: 1 }).lean();
    if (!record) return false;
    if (!isStatusAdvance(record.deliveryStatus ?? null, status)) return true;
    // Conditional on the status we read, so two racing callbacks cannot move it backwards.
    await Notification.updateOne({ _id: record._id, deliveryStatus: record.deliveryStatus ?? null }, { $set: { deliveryStatus: status, deliveryErrorCode: errorCode ?? null } });
    return true;
  },
};

/** What the Slack operator UI remembers: where each task's card lives, and who looks at the App Home. */
import mongoose, { Schema } from 'mongoose';

const { model } = mongoose;

/** One card per task. `ts` null while its first post is in flight (`postingSince` says since when). */
const SlackOperatorCardSchema = new Schema({
  _id: { type: String, required: true }, // the task id
  teamId: { type: String, required: true },
  channel: { type: String, required: true },
  ts: { type: String, default: null },
  postingSince: { type: Date, default: null },
  /** The re-announcement (nudge) message, kept in step with the card. */
  nudgeTs: { type: String, default: null },
}, { timestamps: true, versionKey: false });
export const SlackOperatorCard = model('SlackOperatorCard', SlackOperatorCardSchema);

/** Operators who opened the App Home: their home is republished when a task of their space changes. */
const SlackHomeViewerSchema = new Schema({
  _id: { type: String, required: true }, // `${teamId}:${userId}`
  spaceId: { type: String, required: true },
  teamId: { type: String, required: true },
  userId: { type: String, required: true },
}, { timestamps: true, versionKey: false });
SlackHomeViewerSchema.index({ spaceId: 1 });
export const SlackHomeViewer = model('SlackHomeViewer', SlackHomeViewerSchema);

export const SLACK_OPERATOR_MODELS = [SlackOperatorCard, SlackHomeViewer];

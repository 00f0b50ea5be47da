/**
 * Who looks at the operators' App Home: their home is republished (through the chat outbox) when a task of
 * a space in their workspace changes. Where each card lives is the outbox's ChatCard record.
 */
import mongoose, { Schema } from 'mongoose';

const { model } = mongoose;

const SlackHomeViewerSchema = new Schema({
  _id: { type: String, required: true }, // `${teamId}:${userId}`
  teamId: { type: String, required: true },
  userId: { type: String, required: true },
}, { timestamps: true, versionKey: false });
SlackHomeViewerSchema.index({ teamId: 1 });
export const SlackHomeViewer = model('SlackHomeViewer', SlackHomeViewerSchema);

export const SLACK_OPERATOR_MODELS = [SlackHomeViewer];

// The admin API's objects (docs/admin-api.md). Only the fields the pages use
// are typed; the raw objects are shown in full on detail pages.

export interface List<T> {
  object: "list";
  url: string;
  has_more: boolean;
  data: T[];
}

export type ChargeStatus = "unpaid" | "paid" | "refunded" | "closed" | "failed";

export interface Charge {
  id: string;
  object: "charge";
  created: number;
  livemode: boolean;
  paid: boolean;
  refunded: boolean;
  reversed: boolean;
  app: string;
  app_name?: string;
  tenant?: string;
  channel: string;
  order_no: string;
  client_ip: string;
  amount: number;
  amount_settle: number;
  amount_refunded: number;
  amount_refunding?: number;
  amount_refundable?: number;
  currency: string;
  subject: string;
  body: string;
  extra: Record<string, unknown>;
  time_paid: number | null;
  time_expire: number;
  time_settle: number | null;
  transaction_no: string | null;
  failure_code: string | null;
  failure_msg: string | null;
  metadata: Record<string, unknown>;
  credential: Record<string, unknown>;
  description: string | null;
  status: ChargeStatus;
}

export interface Refund {
  id: string;
  object: "refund";
  order_no: string;
  amount: number;
  created: number;
  succeed: boolean;
  status: "pending" | "succeeded" | "failed";
  time_succeed: number | null;
  description: string;
  failure_code: string | null;
  failure_msg: string | null;
  charge: string;
  charge_order_no: string;
  transaction_no: string | null;
  currency: string;
  app?: string;
  livemode?: boolean;
  channel?: string;
}

export interface Attempt {
  attempt: number;
  at: number;
  at_ms?: number;
  status_code: number | null;
  latency_ms: number | null;
  response: string | null;
  error: string | null;
  node?: string | null;
}

export interface Delivery {
  id: string;
  object: "webhook_delivery";
  endpoint: string;
  endpoint_url: string;
  status: "pending" | "succeeded" | "failed";
  attempts: number;
  next_attempt_at: number | null;
  last_status_code: number | null;
  last_error: string | null;
  last_response: string | null;
  last_latency_ms: number | null;
  created: number;
  delivered_at: number | null;
  attempts_list?: Attempt[];
}

export interface Event {
  id: string;
  object: "event";
  livemode: boolean;
  created: number;
  type: string;
  data: { object: { id?: string; object?: string; [k: string]: unknown } };
  pending_webhooks: number;
  app?: string;
  webhook_deliveries?: Delivery[];
}

export interface ChannelNotification {
  id: string;
  object: "channel_notification";
  channel: string;
  received: number;
  outcome: "accepted" | "rejected" | "ignored";
  reason: string | null;
  content_type: string | null;
  headers: Record<string, string>;
  body: string;
  body_truncated: boolean;
  charge: string | null;
  refund: string | null;
}

export interface ChargeDetail {
  object: "charge_detail";
  charge: Charge;
  refunds: Refund[];
  events: Event[];
  notifications: ChannelNotification[];
}

export interface RefundDetail {
  object: "refund_detail";
  refund: Refund;
  charge: Charge;
  events: Event[];
}

export interface Tenant {
  id: string;
  object: "tenant";
  name: string;
  created: number;
  apps: number;
}

export interface App {
  id: string;
  object: "app";
  name: string;
  tenant: string;
  tenant_name?: string;
  request_signing: boolean;
  created: number;
}

export interface ApiKey {
  id: string;
  object: "api_key";
  tenant: string;
  mode: "test" | "live";
  hint: string;
  revoked: boolean;
  created: number;
  secret?: string;
}

export interface WebhookEndpoint {
  id: string;
  object: "webhook_endpoint";
  app: string;
  livemode: boolean;
  url: string;
  enabled_events: string[];
  status: "enabled" | "disabled";
  description: string | null;
  created: number;
  secret?: string;
}

export interface ParamSpec {
  name: string;
  required: boolean;
  secret: boolean;
  doc: string;
}

export interface ChannelConfig {
  object: "channel_config";
  app: string;
  channel: string;
  livemode: boolean;
  products: string[];
  available: boolean;
  configured: boolean;
  enabled: boolean;
  updated: number | null;
  params: Record<string, string>;
  secrets: Record<string, { set: boolean; fingerprint: string | null }>;
  param_specs: ParamSpec[];
}

export interface Bucket {
  from?: number;
  to?: number;
  count: number;
  paid_count: number;
  volume: number;
  refunded?: number;
  success_rate?: number | null;
}

export interface Overview {
  object: "overview";
  mode: "test" | "live";
  currency: string;
  today: Bucket;
  last_30_days: Bucket;
  channels: { channel: string; today: Bucket; last_30_days: Bucket }[];
  daily: (Bucket & { date: string; by_channel: Record<string, Bucket> })[];
}

export interface ManagedUser {
  id: string;
  object: "user";
  email: string;
  role: "operator" | "tenant";
  tenant: string | null;
  created: number;
  password?: string;
}

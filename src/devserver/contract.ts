/**
 * The AgentSight tracking contract (agentsight-api.md §3, §7) as pure validation functions. Each
 * returns the body's errors in Django REST Framework's shape (field → list of messages), or
 * undefined when the body is acceptable. This module deliberately shares nothing with the
 * exporter: a receiver that reused the sender's rules would let their bugs cancel out.
 */

/** DRF-style validation errors: field name → messages. */
export type FieldErrors = Record<string, string[]>;

/** A parsed JSON object body. */
export type JsonObject = Record<string, unknown>;

/** Values the contract allows for the enumerated fields. */
export const ALLOWED = {
  /** `sender` of messages (§5.1). */
  sender: ['end_user', 'agent', 'system'],
  /** `device` of conversations (§5.3, with the dashboard's `tablet`). */
  device: ['desktop', 'mobile', 'tablet'],
  /** `environment` of conversations (§5.2). */
  environment: ['production', 'development'],
  /** `sentiment` of feedback (§5.4). */
  sentiment: ['positive', 'neutral', 'negative'],
} as const;

const ISO_8601 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:\d{2})$/;
const STANDARD_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Collects errors for one body; every rule names the field it checks. */
class BodyCheck {
  // No prototype: a body field named `constructor` or `__proto__` must be an ordinary key here.
  readonly errors: FieldErrors = Object.create(null) as FieldErrors;
  private readonly known = new Set<string>();

  constructor(private readonly body: JsonObject) {}

  private fail(field: string, message: string): void {
    this.errors[field] ??= [];
    this.errors[field].push(message);
  }

  private present(field: string, required: boolean): boolean {
    this.known.add(field);
    if (this.body[field] !== undefined) return true;
    if (required) this.fail(field, 'This field is required.');
    return false;
  }

  /** The field's value to check further; undefined when absent or null (a null not allowed fails here). */
  private given(field: string, required: boolean, nullable: boolean): { value: unknown } | undefined {
    if (!this.present(field, required)) return undefined;
    const value = this.body[field];
    if (value !== null) return { value };
    if (!nullable) this.fail(field, 'This field may not be null.');
    return undefined;
  }

  /** A string that is not blank after trimming. */
  text(field: string, { required = true, nullable = false, maxLength = Number.POSITIVE_INFINITY } = {}): this {
    const value = this.given(field, required, nullable)?.value;
    if (value === undefined) return this;
    if (typeof value !== 'string') this.fail(field, 'Not a valid string.');
    else if (value.trim() === '') this.fail(field, 'This field may not be blank.');
    else if (value.length > maxLength) this.fail(field, `Ensure this field has no more than ${maxLength} characters.`);
    return this;
  }

  /** Any string, blank allowed. */
  anyText(field: string): this {
    if (this.present(field, false) && typeof this.body[field] !== 'string') this.fail(field, 'Not a valid string.');
    return this;
  }

  /** One of the allowed values. */
  choice(field: string, allowed: readonly string[], { required = true, nullable = false } = {}): this {
    if (!this.present(field, required)) return this;
    const value = this.body[field];
    if (value === null && nullable) return this;
    if (typeof value !== 'string' || !allowed.includes(value)) {
      // Not String(value): a JSON object whose "toString" is no function would throw (a 500).
      const shown = typeof value === 'string' ? value : JSON.stringify(value);
      this.fail(field, `"${shown}" is not a valid choice. Allowed: ${allowed.join(', ')}.`);
    }
    return this;
  }

  /** An ISO-8601 date-time with a UTC offset. */
  dateTime(field: string, { required = true } = {}): this {
    if (!this.present(field, required)) return this;
    const value = this.body[field];
    if (typeof value !== 'string' || !ISO_8601.test(value) || Number.isNaN(Date.parse(value))) {
      this.fail(
        field,
        'Datetime has wrong format. Use ISO 8601 with a UTC offset, e.g. 2026-02-08T13:36:00.123456+00:00.',
      );
    }
    return this;
  }

  /** A JSON object (not an array). */
  object(field: string, { required = true, nullable = false } = {}): this {
    const value = this.given(field, required, nullable)?.value;
    if (value !== undefined && (typeof value !== 'object' || Array.isArray(value))) {
      this.fail(field, 'Expected a dictionary of items.');
    }
    return this;
  }

  /** A non-negative integer. */
  integer(field: string, { required = true, nullable = false } = {}): this {
    const value = this.given(field, required, nullable)?.value;
    if (value !== undefined && (typeof value !== 'number' || !Number.isInteger(value) || value < 0)) {
      this.fail(field, 'A valid non-negative integer is required.');
    }
    return this;
  }

  boolean(field: string): this {
    if (this.present(field, true) && typeof this.body[field] !== 'boolean')
      this.fail(field, 'Must be a valid boolean.');
    return this;
  }

  /** Any other check, attached to a field. */
  rule(field: string, ok: boolean, message: string): this {
    this.known.add(field);
    if (!ok) this.fail(field, message);
    return this;
  }

  /** Fields the contract does not define: a typo in the sender should fail loudly here. */
  noUnknownFields(): this {
    for (const field of Object.keys(this.body)) {
      if (!this.known.has(field)) this.fail(field, 'Unknown field.');
    }
    return this;
  }

  result(): FieldErrors | undefined {
    return Object.keys(this.errors).length === 0 ? undefined : this.errors;
  }
}

/** POST /api/conversations/ (§3.1). */
export function checkConversation(body: JsonObject): FieldErrors | undefined {
  return new BodyCheck(body)
    .dateTime('timestamp')
    .text('conversation_id')
    .text('customer_id', { required: false, nullable: true })
    .text('customer_ip_address', { required: false, nullable: true })
    .choice('device', ALLOWED.device, { required: false, nullable: true })
    .text('source', { required: false, nullable: true })
    .text('language', { required: false, nullable: true })
    .text('name', { required: false, nullable: true, maxLength: 255 })
    .boolean('is_used')
    .choice('environment', ALLOWED.environment)
    .object('metadata', { required: false, nullable: true })
    .noUnknownFields()
    .result();
}

/** The fields every tracked item (#2–#4) carries, checked the same way. */
function trackedItem(body: JsonObject): BodyCheck {
  return new BodyCheck(body)
    .dateTime('timestamp')
    .text('conversation_id')
    .object('metadata')
    .integer('conversation', { nullable: true });
}

/** POST /api/track/ (§3.2). */
export function checkMessage(body: JsonObject): FieldErrors | undefined {
  return trackedItem(body).text('content').choice('sender', ALLOWED.sender).noUnknownFields().result();
}

/** POST /api/action_logs/ (§3.3). */
export function checkAction(body: JsonObject): FieldErrors | undefined {
  const check = trackedItem(body)
    .text('action_name')
    .dateTime('started_at', { required: false })
    .dateTime('ended_at', { required: false })
    .integer('duration_ms', { required: false })
    .object('tools_used', { required: false })
    .anyText('response')
    .anyText('error_msg');
  const { started_at: started, ended_at: ended } = body;
  if (typeof started === 'string' && typeof ended === 'string' && Date.parse(ended) < Date.parse(started)) {
    check.rule('ended_at', false, 'ended_at is before started_at.');
  }
  return check.noUnknownFields().result();
}

/** POST /api/buttons/ (§3.4). */
export function checkButton(body: JsonObject): FieldErrors | undefined {
  return trackedItem(body).text('button_event').text('label').text('value').noUnknownFields().result();
}

/** POST /api/attachments/, JSON base64 variants A and B (§3.5). */
export function checkAttachments(body: JsonObject): FieldErrors | undefined {
  const check = new BodyCheck(body)
    .dateTime('timestamp')
    .text('conversation_id')
    .object('metadata', { required: false })
    .text('sender', { required: false })
    .rule('mode', body.mode === undefined || body.mode === 'base64', '"mode" must be "base64" for a JSON upload.')
    .rule(
      'message',
      body.message === undefined || (typeof body.message === 'number' && Number.isInteger(body.message)),
      'A valid integer is required.',
    )
    .rule(
      'conversation',
      body.conversation === undefined ||
        body.conversation === null ||
        Number.isInteger(body.conversation) ||
        (typeof body.conversation === 'string' && /^\d+$/.test(body.conversation)),
      'A valid integer is required.',
    );
  const attachments = body.attachments;
  if (!Array.isArray(attachments) || attachments.length === 0) {
    check.rule('attachments', false, 'A non-empty list of attachments is required.');
  } else {
    attachments.forEach((item: unknown, index) => {
      const a = (item ?? {}) as JsonObject;
      const ok =
        typeof a.filename === 'string' &&
        a.filename.trim() !== '' &&
        typeof a.mime_type === 'string' &&
        a.mime_type.trim() !== '' &&
        typeof a.data === 'string' &&
        STANDARD_BASE64.test(a.data);
      check.rule('attachments', ok, `Attachment ${index + 1}: needs filename, mime_type and standard base64 data.`);
    });
  }
  return check.noUnknownFields().result();
}

/** The text parts of a multipart upload (§3.5 C, D), in the order the contract gives them. */
const MULTIPART_TEXT_PARTS = ['timestamp', 'conversation', 'sender', 'mode', 'metadata', 'message'] as const;

/**
 * POST /api/attachments/ as multipart/form-data (§3.5 C, D): the text parts `timestamp`,
 * `conversation`, `sender`, `mode` (`form_data`), `metadata` (a JSON object), optional `message`,
 * and at least one file part `attachment_<n>` with a filename and a Content-Type. There is no
 * `conversation_id` part; no other part is known.
 */
export function checkMultipartAttachments(
  fields: ReadonlyArray<readonly [string, string]>,
  files: ReadonlyArray<{ field: string; filename: string; mimeType: string }>,
): FieldErrors | undefined {
  const errors: FieldErrors = Object.create(null) as FieldErrors;
  const fail = (field: string, message: string) => {
    errors[field] ??= [];
    errors[field].push(message);
  };
  const values = new Map<string, string>();
  for (const [name, value] of fields) {
    if (!(MULTIPART_TEXT_PARTS as readonly string[]).includes(name)) fail(name, 'Unknown part.');
    else if (values.has(name)) fail(name, 'Part given twice.');
    else values.set(name, value);
  }
  const timestamp = values.get('timestamp');
  if (timestamp === undefined) fail('timestamp', 'This field is required.');
  else if (!ISO_8601.test(timestamp) || Number.isNaN(Date.parse(timestamp))) {
    fail(
      'timestamp',
      'Datetime has wrong format. Use one of these formats instead: YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z].',
    );
  }
  const conversation = values.get('conversation');
  if (conversation === undefined) fail('conversation', 'This field is required.');
  else if (!/^\d+$/.test(conversation)) fail('conversation', 'A valid integer is required.');
  const sender = values.get('sender');
  if (sender !== undefined && sender.trim() === '') fail('sender', 'This field may not be blank.');
  if (values.get('mode') !== 'form_data') fail('mode', '"mode" must be "form_data" for a multipart upload.');
  const metadata = values.get('metadata');
  if (metadata !== undefined) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(metadata);
    } catch {
      parsed = undefined;
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
      fail('metadata', 'Must be a JSON object.');
  }
  const message = values.get('message');
  if (message !== undefined && !/^\d+$/.test(message)) fail('message', 'A valid integer is required.');
  if (files.length === 0) fail('attachments', 'At least one file part (attachment_0, …) is required.');
  files.forEach((file, index) => {
    if (file.field !== `attachment_${index}`)
      fail(file.field, `File parts are attachment_0, attachment_1, … (expected attachment_${index}).`);
    if (file.filename.trim() === '') fail(file.field, 'A file part needs a filename.');
    if (!/^[\w.+-]+\/[\w.+-]+/.test(file.mimeType)) fail(file.field, 'A file part needs a Content-Type.');
  });
  return Object.keys(errors).length > 0 ? errors : undefined;
}

/** POST /api/conversation-feedbacks/ (§3.6). */
export function checkFeedback(body: JsonObject): FieldErrors | undefined {
  const check = new BodyCheck(body)
    .choice('sentiment', ALLOWED.sentiment)
    .text('conversation_id', { required: false })
    .integer('conversation', { required: false })
    .text('comment', { required: false, maxLength: 5000 })
    .object('metadata', { required: false });
  check.rule(
    'conversation_id',
    body.conversation_id !== undefined || body.conversation !== undefined,
    'Either conversation_id or conversation is required.',
  );
  return check.noUnknownFields().result();
}

/** The API key format (§1.2), case-insensitive. */
export const API_KEY_PATTERN = /^ags_[a-f0-9]{32}_[a-f0-9]{6}$/i;

/** PATCH /api/conversations/{pk}/rename/ (§3.11). */
export function checkRename(body: JsonObject): FieldErrors | undefined {
  return new BodyCheck(body).text('name', { maxLength: 255 }).noUnknownFields().result();
}

/** POST /api/conversations/{pk}/mark/ (§3.12). */
export function checkMark(body: JsonObject): FieldErrors | undefined {
  return new BodyCheck(body).boolean('is_marked').noUnknownFields().result();
}

/** PATCH /api/conversations/{pk}/update/ (§3.13): only the given fields, at least one. */
export function checkUpdate(body: JsonObject): FieldErrors | undefined {
  const check = new BodyCheck(body)
    .text('name', { required: false, maxLength: 255 })
    .text('customer_id', { required: false })
    .choice('device', ALLOWED.device, { required: false })
    .text('language', { required: false })
    .object('metadata', { required: false });
  if (body.is_marked !== undefined) check.boolean('is_marked');
  else check.rule('is_marked', true, '');
  check.rule('non_field_errors', Object.keys(body).length > 0, 'At least one field must be provided for update.');
  return check.noUnknownFields().result();
}

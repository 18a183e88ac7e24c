/** ErrorCode classifies an ApiError; the Go side sends the same stable strings. */
export type ErrorCode = 'invalid' | 'not_found' | 'conflict' | 'forbidden' | 'internal' | 'unauthorized';

const codes: readonly string[] = ['invalid', 'not_found', 'conflict', 'forbidden', 'internal', 'unauthorized'];

/** ErrorBody is the JSON shape of an error from Go, in the desktop window and over HTTP alike. */
export interface ErrorBody {
  code: ErrorCode;
  message: string;
  field?: string;
  key?: string;
  /** params fill the {name} placeholders of the catalogue text under key. */
  params?: Record<string, string>;
}

/** ApiError is the only error the api layer throws. */
export class ApiError extends Error {
  readonly code: ErrorCode;
  /** field is the JSON name of the input the error is about, if any. */
  readonly field: string | undefined;
  /** key is an i18n key for the message, if Go sent one. */
  readonly key: string | undefined;
  /** params fill the placeholders of the text under key. */
  readonly params: Record<string, string> | undefined;

  constructor(body: ErrorBody) {
    super(body.message);
    this.name = 'ApiError';
    this.code = body.code;
    this.field = body.field;
    this.key = body.key;
    this.params = body.params;
  }

  /** from turns whatever a call rejected with into an ApiError; anything unrecognised is internal. */
  static from(reason: unknown): ApiError {
    if (reason instanceof ApiError) return reason;
    if (typeof reason === 'string') return new ApiError({ code: 'internal', message: reason });
    if (isRecord(reason) && typeof reason['message'] === 'string') {
      const { code, message, field, key, params } = reason;
      return new ApiError({
        code: typeof code === 'string' && codes.includes(code) ? (code as ErrorCode) : 'internal',
        message,
        ...(typeof field === 'string' && field !== '' ? { field } : {}),
        ...(typeof key === 'string' && key !== '' ? { key } : {}),
        ...(isStringRecord(params) ? { params } : {}),
      });
    }
    return new ApiError({ code: 'internal', message: String(reason) });
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

function isStringRecord(value: unknown): value is Record<string, string> {
  return isRecord(value) && Object.values(value).every((v) => typeof v === 'string');
}

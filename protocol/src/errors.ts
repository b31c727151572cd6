/** Stable, snake_case error codes shared by HTTP bodies and socket acks. */
export const ErrorCode = {
  invalidInput: 'invalid_input',
  unauthorized: 'unauthorized',
  invalidCredentials: 'invalid_credentials',
  forbidden: 'forbidden',
  notFound: 'not_found',
  methodNotAllowed: 'method_not_allowed',
  conflict: 'conflict',
  usernameTaken: 'username_taken',
  emailTaken: 'email_taken',
  tooLarge: 'payload_too_large',
  unsupportedType: 'unsupported_media_type',
  rateLimited: 'rate_limited',
  tokenReused: 'token_reused',
  unavailable: 'unavailable',
  internal: 'internal_error',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** HTTP status that goes with each code. */
export const errorStatus: Record<ErrorCode, number> = {
  invalid_input: 400,
  unauthorized: 401,
  invalid_credentials: 401,
  token_reused: 401,
  forbidden: 403,
  not_found: 404,
  method_not_allowed: 405,
  conflict: 409,
  username_taken: 409,
  email_taken: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  unavailable: 503,
  internal_error: 500,
};

export interface ApiError {
  code: ErrorCode;
  message: string;
  /** Present with `rate_limited`: how long to wait before trying again. */
  retryAfterMs?: number;
  /** Present with `invalid_input`: which fields were wrong. */
  issues?: { path: string; message: string }[];
}

/** Body of every HTTP error answer. */
export interface ErrorBody {
  error: ApiError;
}

/** Every acknowledgement, IPC answer and client call result. */
export type Result<T> = { ok: true; data: T } | { ok: false; error: ApiError };

export const ok = <T>(data: T): Result<T> => ({ ok: true, data });
export const fail = (code: ErrorCode, message: string, extra?: Partial<ApiError>): Result<never> => ({
  ok: false,
  error: { code, message, ...extra },
});

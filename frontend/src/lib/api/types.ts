/** SenderIdentity is who a mailing comes from: the From header and an optional Reply-To. */
export interface SenderIdentity {
  fromName: string;
  fromAddress: string;
  replyTo: string;
}

/** SystemInfo describes the running program, for the status bar and support. */
export interface SystemInfo {
  version: string;
  dataDir: string;
  dbPath: string;
  mode: 'desktop' | 'browser';
  schemaVersion: number;
}

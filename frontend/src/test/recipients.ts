import { vi, type Mock } from 'vitest';
import type {
  AttributeDef,
  ConsentState,
  List,
  Recipient,
  RecipientDetail,
} from '../lib/api/types';
import { systemInfo } from './desktop';

/** RecipientsStub holds the mocks of the Recipients and System services by method name. */
export type RecipientsStub = Record<string, Mock>;

/** ada is a sample recipient. */
export const ada: Recipient = {
  id: 7,
  email: 'ada@example.org',
  firstName: 'Ada',
  lastName: 'Lovelace',
  gender: 'f',
  title: '',
  language: 'en',
  attributes: { customer_since: '2021-03-01' },
  createdAt: '2025-01-02T10:00:00Z',
  updatedAt: '2025-01-03T10:00:00Z',
};

/** lists are sample lists. */
export const sampleLists: List[] = [
  {
    id: 1,
    name: 'Kunden',
    description: '',
    doubleOptIn: false,
    createdAt: '2025-01-01T00:00:00Z',
    confirmed: 3,
    unconfirmed: 1,
    unsubscribed: 0,
  },
];

/** builtins are the builtin attribute definitions plus one custom date attribute. */
export const sampleAttributes: AttributeDef[] = [
  { id: 1, key: 'email', label: 'E-mail', type: 'text', choices: [], builtin: true },
  { id: 2, key: 'first_name', label: 'First name', type: 'text', choices: [], builtin: true },
  { id: 3, key: 'last_name', label: 'Last name', type: 'text', choices: [], builtin: true },
  { id: 10, key: 'customer_since', label: 'Customer since', type: 'date', choices: [], builtin: false },
];

/** detailOf returns a recipient detail with the given consent state. */
export function detailOf(r: Recipient, consentState: ConsentState[] = []): RecipientDetail {
  return {
    recipient: r,
    lists: [{ listId: 1, listName: 'Kunden', status: 'confirmed', updatedAt: '2025-01-02T10:00:00Z' }],
    consent: [],
    consentState,
    source: 'import kunden.csv',
    reactions: [],
    deliveries: [],
    interests: [],
    surveys: [],
    suppressed: '',
    optIns: [],
  };
}

/**
 * stubRecipients installs window.go.desktop with the Recipients and System
 * services; every method is a mock that resolves with a harmless default.
 */
export function stubRecipients(): RecipientsStub {
  const stub: RecipientsStub = {
    Find: vi.fn(() => Promise.resolve({ recipients: [], total: 0 })),
    Detail: vi.fn(() => Promise.resolve(detailOf(ada))),
    Create: vi.fn((r: Recipient) => Promise.resolve({ ...r, id: 99 })),
    Update: vi.fn((r: Recipient) => Promise.resolve(r)),
    Erase: vi.fn(() => Promise.resolve(true)),
    Export: vi.fn(() => Promise.resolve({})),
    ProofHTML: vi.fn(() => Promise.resolve('<html></html>')),
    SetConsent: vi.fn(() => Promise.resolve({})),
    Lists: vi.fn(() => Promise.resolve(sampleLists)),
    CreateList: vi.fn(() => Promise.resolve(sampleLists[0])),
    Attributes: vi.fn(() => Promise.resolve(sampleAttributes)),
    CreateAttribute: vi.fn(() => Promise.resolve(sampleAttributes[3])),
    PreviewImport: vi.fn(() => Promise.reject(new Error('no preview stubbed'))),
    ImportFile: vi.fn(() => Promise.reject(new Error('no import stubbed'))),
    CancelImport: vi.fn(() => Promise.resolve(true)),
    Imports: vi.fn(() => Promise.resolve([])),
    UndoImport: vi.fn(() => Promise.resolve(true)),
    RejectedCSV: vi.fn(() => Promise.resolve('')),
  } as unknown as RecipientsStub;
  const system = {
    Info: vi.fn(() => Promise.resolve(systemInfo)),
    PickCSVFile: vi.fn(() => Promise.resolve('/home/ada/kunden.csv')),
    PickLogFile: vi.fn(() => Promise.resolve('/home/ada/log.json')),
    SaveTextFile: vi.fn(() => Promise.resolve('/home/ada/kunden-rejected.csv')),
  };
  window.go = {
    desktop: {
      Recipients: stub as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>,
      System: system,
    },
  };
  return Object.assign(stub, system) as RecipientsStub;
}

import { vi, type Mock } from 'vitest';
import type { Mailing } from '../lib/api/types';

/** ServiceStub maps method names to mocks. */
export type ServiceStub = Record<string, Mock>;

/**
 * addServices adds bound services to window.go.desktop (installing it if
 * needed), keeping the services other stubs installed.
 */
export function addServices(services: Record<string, ServiceStub>): void {
  const desktop = window.go?.desktop ?? {};
  for (const [name, methods] of Object.entries(services)) {
    desktop[name] = { ...(desktop[name] ?? {}), ...(methods as Record<string, (...args: unknown[]) => Promise<unknown>>) };
  }
  window.go = { desktop };
}

/** spring is a sample mailing. */
export const spring: Mailing = {
  id: 3,
  name: 'Frühling',
  subject: 'Frühling in den Bergen',
  preheader: 'Neue Touren',
  body: 'Hallo {{ first_name }}\n\n[Atlas](https://example.org/atlas){tags="Wandern"}',
  language: 'de',
  listId: 1,
  layoutId: 0,
  status: 'draft',
  externalId: '',
  createdAt: '2025-03-01T10:00:00Z',
  updatedAt: '2025-03-02T10:00:00Z',
  sentAt: '',
};

/** resolved returns a mock resolving with value. */
export function resolved<T>(value: T): Mock {
  return vi.fn(() => Promise.resolve(value));
}

import { afterEach, describe, expect, it } from 'vitest';
import { auditAction, auditDetail } from './audit';
import { setLocale } from './i18n/index.svelte';

describe('audit log lines', () => {
  afterEach(() => setLocale('en'));

  it('say what happened in a sentence, with the subject', () => {
    setLocale('de');
    expect(auditAction({ action: 'mailing.create', subject: 'Frühling' })).toBe('Mailing „Frühling“ angelegt');
    expect(auditAction({ action: 'settings.update', subject: 'smtp' })).toBe('Einstellungen geändert: Mailserver');
    expect(auditAction({ action: 'settings.update', subject: 'branding.logo' })).toBe('Einstellungen geändert: Logo');
    expect(auditAction({ action: 'settings.update', subject: 'branding' })).toBe('Einstellungen geändert: Ihr Unternehmen auf den Empfängerseiten (Name, Farben)');
    setLocale('en');
    expect(auditAction({ action: 'settings.update', subject: 'branding.logo' })).toBe('Settings changed: logo');
    expect(auditAction({ action: 'mailing.create', subject: 'Frühling' })).toBe('Mailing "Frühling" created');
  });

  it('label the fields and format numbers, without ids or empty changes', () => {
    setLocale('de');
    expect(auditDetail('{"changed":["firstName","email"]}')).toBe('Geändert: Vorname, E-Mail-Adresse');
    expect(auditDetail('{"changed":null}')).toBe('');
    expect(auditDetail('{"status":"done","read":1234,"created":1200,"updated":0,"skipped":0,"rejected":34}')).toBe(
      'Status: fertig · gelesen: 1.234 · neu: 1.200 · aktualisiert: 0 · übersprungen: 0 · abgelehnt: 34',
    );
    expect(auditDetail('{"purpose":"tracking:opens","listId":0,"granted":true}')).toBe('Zweck: Öffnungs-Tracking · erteilt: ja');
    expect(auditDetail('{"id":3,"bytes":2048}')).toBe('Byte: 2.048');
    expect(auditDetail('{"id":4,"key":"kunde_seit","label":"Kunde seit","type":"date","choices":null,"builtin":false}')).toBe(
      'Schlüssel: kunde_seit · Bezeichnung: Kunde seit · Typ: Datum · vordefiniert: nein',
    );
    expect(auditDetail('{"slug":"sommerumfrage","status":"closed","questions":1}')).toBe('Kurzname: sommerumfrage · Status: geschlossen · Fragen: 1');
    expect(auditDetail('not json')).toBe('');
  });
});

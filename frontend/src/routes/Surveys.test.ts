import { render, screen, waitFor, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import type { Survey, SurveyResults, SurveySummary } from '../lib/api/types';
import { setLocale } from '../lib/i18n/index.svelte';
import { addServices, resolved } from '../test/services';
import Surveys from './Surveys.svelte';
import { slugFrom } from '../lib/stores/surveyEditor.svelte';

const reader: Survey = {
  id: 4,
  name: 'Leserumfrage',
  slug: 'leserumfrage',
  title: 'Wie reisen Sie?',
  intro: '',
  status: 'open',
  questions: [
    {
      key: 'q1',
      type: 'single',
      text: 'Reisestil?',
      required: true,
      attribute: 'stil',
      choices: [
        { key: 'c1', label: 'Aktiv', value: 'aktiv', interest: '' },
        { key: 'c2', label: 'Ruhig', value: 'ruhig', interest: '' },
      ],
    },
    { key: 'q2', type: 'text', text: 'Anmerkungen', required: false, attribute: '', choices: [] },
  ],
  createdAt: '2026-11-01T10:00:00Z',
  updatedAt: '2026-11-02T10:00:00Z',
};

const results: SurveyResults = {
  survey: reader,
  responses: 3,
  questions: [
    {
      key: 'q1',
      type: 'single',
      text: 'Reisestil?',
      answered: 3,
      average: 0,
      texts: [],
      choices: [
        { key: 'c1', label: 'Aktiv', count: 2 },
        { key: 'c2', label: 'Ruhig', count: 1 },
      ],
    },
    { key: 'q2', type: 'text', text: 'Anmerkungen', answered: 1, average: 0, choices: [], texts: [{ text: '<b>Toll</b>', at: '2026-11-03T10:00:00Z' }] },
  ],
};

function stub() {
  const summary: SurveySummary = { ...reader, responses: 3 };
  const surveys = {
    List: resolved([summary]),
    Get: resolved(reader),
    Attributes: resolved([{ id: 1, key: 'stil', label: 'Reisestil', type: 'text', choices: [], builtin: false }]),
    Save: vi.fn((s: Survey) =>
      Promise.resolve({ ...s, id: s.id || 9, questions: s.questions.map((q, i) => ({ ...q, key: q.key || `k${i}` })) }),
    ),
    SetStatus: vi.fn((_id: number, status: string) => Promise.resolve({ ...reader, status })),
    Delete: resolved(null),
    Results: resolved(results),
    ExportCSV: resolved({ name: 'leserumfrage-answers.csv', content: 'email;…' }),
  };
  addServices({ Surveys: surveys });
  return surveys;
}

describe('Surveys', () => {
  it('creates a survey with a mapped choice question and proposes the slug', async () => {
    setLocale('en');
    const user = userEvent.setup({ delay: null });
    const api = stub();
    render(Surveys);
    expect(await screen.findByTestId('survey-open-4')).toHaveTextContent('Leserumfrage');
    await user.click(screen.getByTestId('survey-new'));
    await user.type(screen.getByTestId('survey-name'), 'Kundenzufriedenheit Köln');
    expect(screen.getByTestId('survey-slug')).toHaveValue('kundenzufriedenheit-koeln');
    expect(screen.getByTestId('survey-snippet')).toHaveTextContent('{{ survey_url "kundenzufriedenheit-koeln" }}');
    await user.type(screen.getByTestId('survey-title'), 'Wie war es?');
    await user.click(screen.getByTestId('add-question-multiple'));
    await user.type(screen.getByTestId('question-0-text'), 'Was interessiert Sie?');
    await user.type(screen.getByTestId('question-0-choice-0-label'), 'Wandern');
    await user.type(screen.getByTestId('question-0-choice-0-interest'), 'Wandern');
    await user.type(screen.getByTestId('question-0-choice-1-label'), 'Kultur');
    expect(screen.queryByTestId('question-0-attribute')).toBeNull(); // multiple choice maps to interests only
    await user.click(screen.getByTestId('add-question-rating'));
    await user.selectOptions(screen.getByTestId('question-1-attribute'), 'stil');
    await user.click(screen.getByTestId('survey-save'));
    await waitFor(() => expect(api.Save).toHaveBeenCalled());
    expect(api.Save.mock.calls[0]![0]).not.toHaveProperty('createdAt'); // Go sets the times; "" is no time
    expect(api.Save.mock.calls[0]![0]).toMatchObject({
      id: 0,
      name: 'Kundenzufriedenheit Köln',
      slug: 'kundenzufriedenheit-koeln',
      status: 'closed',
      questions: [
        { type: 'multiple', text: 'Was interessiert Sie?', choices: [{ label: 'Wandern', interest: 'Wandern' }, { label: 'Kultur', interest: '' }] },
        { type: 'rating', attribute: 'stil', choices: [] },
      ],
    });
    expect(await screen.findByTestId('survey-saved')).toBeInTheDocument();
  });

  it('shows a field error next to the question it names', async () => {
    setLocale('en');
    const user = userEvent.setup({ delay: null });
    const api = stub();
    api.Save.mockImplementation(() =>
      Promise.reject({ code: 'invalid', field: 'questions.0.choices.1.label', key: 'error.survey.choice.label', message: 'Question 1, choice 2: enter a label.' }),
    );
    render(Surveys);
    await user.click(await screen.findByTestId('survey-new'));
    await user.click(screen.getByTestId('add-question-single'));
    await user.click(screen.getByTestId('survey-save'));
    expect(await screen.findByTestId('question-0-error')).toHaveTextContent('Every choice needs a label.');
    expect(screen.queryByTestId('survey-error')).toBeNull();
  });

  it('shows results with counts and escaped text answers, closes and exports', async () => {
    setLocale('de');
    const user = userEvent.setup({ delay: null });
    const api = stub();
    render(Surveys);
    await user.click(await screen.findByTestId('survey-open-4'));
    expect(await screen.findByTestId('survey-responses')).toHaveTextContent('3 Personen haben geantwortet.');
    const table = screen.getByTestId('result-0-table');
    expect(within(table).getByText('Aktiv').closest('tr')).toHaveTextContent('2');
    expect(screen.getByTestId('result-0-chart')).toHaveAttribute('aria-label', 'Antworten auf: Reisestil?');
    expect(screen.getByTestId('result-1-texts')).toHaveTextContent('<b>Toll</b>');
    expect(screen.getByTestId('result-1-texts').querySelector('b')).toBeNull();
    expect(screen.getByTestId('survey-status')).toHaveTextContent('offen');
    await user.click(screen.getByTestId('survey-close'));
    await waitFor(() => expect(api.SetStatus).toHaveBeenCalledWith(4, 'closed'));
    expect(await screen.findByTestId('survey-status')).toHaveTextContent('geschlossen');
    URL.createObjectURL = vi.fn(() => 'blob:x');
    URL.revokeObjectURL = vi.fn();
    await user.click(screen.getByTestId('survey-export'));
    await waitFor(() => expect(api.ExportCSV).toHaveBeenCalledWith(4));
    setLocale('en');
  });
});

describe('slugFrom', () => {
  it.each([
    ['Leserumfrage 2026', 'leserumfrage-2026'],
    ['  Grüße aus Köln!  ', 'gruesse-aus-koeln'],
    ['Straße & Café', 'strasse-cafe'],
    ['---', ''],
  ])('%s → %s', (name, slug) => {
    expect(slugFrom(name)).toBe(slug);
  });
});

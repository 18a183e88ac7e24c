import { Surveys } from './facades';
import type { AttributeDef, FileContent, Survey, SurveyResults, SurveySummary } from './types';

/** surveys lists all surveys with their numbers of answers. */
export async function surveys(): Promise<SurveySummary[]> {
  return Surveys.List();
}

/** survey returns one survey. */
export async function survey(id: number): Promise<Survey> {
  return Surveys.Get(id);
}

/** surveyAttributes returns the custom attributes answers can fill. */
export async function surveyAttributes(): Promise<AttributeDef[]> {
  return Surveys.Attributes();
}

/** saveSurvey creates (id 0) or updates a survey; Go assigns question and choice keys and sets the times. */
export async function saveSurvey(s: Survey): Promise<Survey> {
  const { createdAt: _createdAt, updatedAt: _updatedAt, ...rest } = s;
  return Surveys.Save(rest);
}

/** setSurveyStatus opens or closes a survey. */
export async function setSurveyStatus(id: number, status: 'open' | 'closed'): Promise<Survey> {
  return Surveys.SetStatus(id, status);
}

/** deleteSurvey removes a survey and all its answers. */
export function deleteSurvey(id: number): Promise<void> {
  return Surveys.Delete(id);
}

/** surveyResults returns the counts per question and choice. */
export async function surveyResults(id: number): Promise<SurveyResults> {
  return Surveys.Results(id);
}

/** exportSurveyCSV returns all answers as a CSV file. */
export function exportSurveyCSV(id: number): Promise<FileContent> {
  return Surveys.ExportCSV(id);
}

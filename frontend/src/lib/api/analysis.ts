import { Analysis } from './facades';
import type {
  MailingFigures,
  TargetGroupCount,
  Condition,
  MailingStats,
  MailingTimeline,
  RecipientFilter,
  RecipientPage,
  RuleCount,
  TargetGroup,
} from './types';

/** mailingStats returns the report of a mailing (0: totals over all reactions). */
export async function mailingStats(id: number): Promise<MailingStats> {
  return Analysis.MailingStats(id);
}

/** compareMailings returns the reports of all mailings, newest first. */
export async function compareMailings(): Promise<MailingStats[]> {
  return Analysis.Compare();
}

/** timeline returns the hourly series, the heat map (UTC) and the mail clients of a mailing (0: all). */
export async function timeline(id: number): Promise<MailingTimeline> {
  return Analysis.Timeline(id);
}

/** statsCSV returns a mailing's report as CSV (-1: the compare table). */
export function statsCSV(id: number): Promise<string> {
  return Analysis.StatsCSV(id);
}

/** targetGroups returns the saved target groups. */
export async function targetGroups(): Promise<TargetGroup[]> {
  return Analysis.TargetGroups();
}

/** saveTargetGroup creates (id 0) or updates a target group. */
export function saveTargetGroup(g: Pick<TargetGroup, 'id' | 'name' | 'description' | 'rule'>): Promise<TargetGroup> {
  return Analysis.SaveTargetGroup(g);
}

/** deleteTargetGroup deletes a target group. */
export function deleteTargetGroup(id: number): Promise<boolean> {
  return Analysis.DeleteTargetGroup(id);
}

/** countRule counts the people a rule selects (the live count while editing). */
export function countRule(rule: Condition): Promise<number> {
  return Analysis.CountRule(rule);
}

/** explainRule counts the people a rule selects and how many it would select if reaction conditions ignored current consent. */
export function explainRule(rule: Condition): Promise<RuleCount> {
  return Analysis.ExplainRule(rule);
}

/** ruleMembers returns one page of the people a rule selects. */
export async function ruleMembers(rule: Condition, filter: RecipientFilter): Promise<RecipientPage> {
  return Analysis.RuleMembers(rule, filter);
}

/** mailingFigures returns every mailing's sent, open and click figures (one call, grouped queries in Go). */
export function mailingFigures(): Promise<MailingFigures[]> {
  return Analysis.MailingFigures();
}

/** targetGroupCounts counts every target group's members now. */
export function targetGroupCounts(): Promise<TargetGroupCount[]> {
  return Analysis.TargetGroupCounts();
}

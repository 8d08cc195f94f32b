import { z } from 'zod';
import { usccProblem } from '../../config/uscc.js';

/**
 * An enterprise in the centre's register (企业动态数据库): who it is, where, what it does, whether it
 * is obliged to connect (so the connection rate can be computed) and its A/B/C/D grade.
 */

/** Industries the seed notices name; `dust_explosion` takes a dust type. */
export const INDUSTRIES = {
  steel: '钢铁',
  metallurgy: '冶金（有色）',
  dust_explosion: '粉尘涉爆',
  hazardous_chemicals: '危险化学品',
  ammonia_refrigeration: '涉氨制冷',
  confined_space: '有限空间作业',
  building_materials: '建材',
  machinery: '机械',
  light_industry: '轻工',
  textile: '纺织',
  tobacco: '烟草',
  trade: '商贸',
  other: '其他',
} as const;
export type Industry = keyof typeof INDUSTRIES;
export const industrySchema = z.enum(Object.keys(INDUSTRIES) as [Industry, ...Industry[]]);

/** Dust types of dust-explosion enterprises (AQ 4273 / 工贸企业粉尘防爆 classes). */
export const DUST_TYPES = {
  metal: '金属粉尘（铝镁等）',
  wood: '木质粉尘',
  grain: '粮食粉尘',
  food: '饲料及食品粉尘',
  textile: '纺织纤维粉尘',
  plastic: '塑料/橡胶粉尘',
  paper: '纸制品粉尘',
  coal: '煤粉',
  other: '其他',
} as const;
export type DustType = keyof typeof DUST_TYPES;
export const dustTypeSchema = z.enum(Object.keys(DUST_TYPES) as [DustType, ...DustType[]]);

/** A red, B orange, C yellow, D blue: the seed notices' grading of enterprises by risk. */
export const GRADES = ['A', 'B', 'C', 'D'] as const;
export const gradeSchema = z.enum(GRADES);
export type Grade = z.infer<typeof gradeSchema>;
export const GRADE_COLOURS: Record<Grade, { name: string; css: string }> = {
  A: { name: '红', css: '#d32f2f' },
  B: { name: '橙', css: '#f57c00' },
  C: { name: '黄', css: '#fbc02d' },
  D: { name: '蓝', css: '#1976d2' },
};

export const creditCodeSchema = z.string().superRefine((code, ctx) => {
  const problem = usccProblem(code);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

export const contactSchema = z.strictObject({
  name: z.string().min(1).max(64),
  role: z.string().max(64).optional(),
  phone: z.string().regex(/^[0-9+\-\s]{5,20}$/, 'expected a phone number of digits, +, - and spaces'),
});
export type Contact = z.infer<typeof contactSchema>;

export const gatewayCodeSchema = z.string().min(1).max(64).regex(/^[^/#+\s]+$/, 'a gateway code is one MQTT topic level: no /, #, + or spaces');

/** What an officer enters (or a CSV row gives) for one enterprise. The grade has its own audited path. */
export const enterpriseInputSchema = z.strictObject({
  /** Optional on input: an entry without a kind is an enterprise. */
  kind: z.literal('enterprise').optional(),
  code: creditCodeSchema,
  name: z.string().min(1).max(200),
  industry: industrySchema,
  dustType: dustTypeSchema.optional(),
  town: z.string().min(1).max(64),
  obliged: z.boolean().default(true),
  gateways: z.array(gatewayCodeSchema).max(50).default([]),
  contacts: z.array(contactSchema).max(20).default([]),
  grade: gradeSchema.default('D'),
});
export type EnterpriseInput = z.input<typeof enterpriseInputSchema>;
export type EnterpriseFields = z.output<typeof enterpriseInputSchema>;

export interface Enterprise extends Omit<EnterpriseFields, 'kind'> {
  kind: 'enterprise';
  createdAt: number;
  updatedAt: number;
}

/** Levels of a monitoring centre below this one (a city's counties, a province's cities). */
export const CENTRE_LEVELS = { county: '县级', city: '市级' } as const;
export type CentreLevel = keyof typeof CENTRE_LEVELS;
export const centreLevelSchema = z.enum(Object.keys(CENTRE_LEVELS) as [CentreLevel, ...CentreLevel[]]);

/** 行政区划代码 (GB/T 2260): six digits, e.g. 350121 for 闽侯县. */
export const regionCodeSchema = z.string().regex(/^[1-8]\d{5}$/, 'expected a six-digit administrative division code (GB/T 2260), e.g. 350121');

/**
 * A monitoring centre of the tier below (a county centre under a city, a city centre under a
 * province): it sends its summary upward through its gateway (gateway.id). It has no industry and
 * no grade, and no connection obligation: 联网率 counts enterprises, the centre's are in its summary.
 */
export const centreInputSchema = z.strictObject({
  kind: z.literal('centre'),
  /** The centre's own 统一社会信用代码 (its envelopes' enterpriseCode). */
  code: creditCodeSchema,
  name: z.string().min(1).max(200),
  regionCode: regionCodeSchema,
  level: centreLevelSchema,
  gateways: z.array(gatewayCodeSchema).max(50).default([]),
  contacts: z.array(contactSchema).max(20).default([]),
});
export type CentreInput = z.input<typeof centreInputSchema>;
export type CentreFields = z.output<typeof centreInputSchema>;

export interface SubordinateCentre extends CentreFields {
  createdAt: number;
  updatedAt: number;
}

/** One entry of the register: an enterprise, or a centre of the tier below. */
export type RegisterEntry = Enterprise | SubordinateCentre;

export interface GradeChange {
  enterpriseCode: string;
  from: Grade | null;
  to: Grade;
  user: string;
  reason: string;
  at: number;
}

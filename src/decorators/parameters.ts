import 'reflect-metadata';

/** Which argument of a method holds a conversation fact, by position. */
export interface ParameterRoles {
  conversationId?: number;
  customerId?: number;
  humanMessage?: number;
}

const PARAMETER_ROLES_KEY = Symbol.for('agentsight.parameter_roles');

function markParameter(role: keyof ParameterRoles, decoratorName: string): ParameterDecorator {
  return (target, propertyKey, parameterIndex) => {
    if (propertyKey === undefined) {
      throw new TypeError(`@${decoratorName}() marks a method parameter, not a constructor parameter`);
    }
    const roles: ParameterRoles = { ...readParameterRoles(target, propertyKey), [role]: parameterIndex };
    Reflect.defineMetadata(PARAMETER_ROLES_KEY, roles, target, propertyKey);
  };
}

/**
 * The roles marked on a method's parameters. Legacy decorators apply parameter decorators before
 * the method's own, so the method decorator reads them once, when the class is defined.
 */
export function readParameterRoles(target: object, propertyKey: string | symbol): ParameterRoles {
  return (Reflect.getOwnMetadata(PARAMETER_ROLES_KEY, target, propertyKey) as ParameterRoles | undefined) ?? {};
}

/**
 * Marks the parameter that holds the conversation id of a `@TrackConversation` method
 * (legacy `experimentalDecorators` only; with standard decorators use the `conversationId` option).
 */
export function ConversationId(): ParameterDecorator {
  return markParameter('conversationId', 'ConversationId');
}

/**
 * Marks the parameter that holds the customer id of a `@TrackConversation` method (legacy
 * decorators only; with standard decorators use the `customerId` option).
 */
export function CustomerId(): ParameterDecorator {
  return markParameter('customerId', 'CustomerId');
}

/**
 * Marks the parameter that holds the user's message of a `@TrackConversation` method (legacy
 * decorators only; with standard decorators use the `humanMessage` option).
 */
export function HumanMessage(): ParameterDecorator {
  return markParameter('humanMessage', 'HumanMessage');
}

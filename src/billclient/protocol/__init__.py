"""The wire protocol (PROTOCOL.md) as pydantic v2 models, shared by client and server.

Nothing here does I/O. Money fields are integer micro-units in Python and decimal
strings on the wire (see :mod:`billclient.protocol.money`).
"""

from .account import Account, AccountKind, AccountStatus, Health
from .admin import (
    AccountDetail,
    AccountSummary,
    Adjustment,
    AdjustmentResult,
    AuditEntry,
    LiveSession,
    StatusChange,
    SupportEnd,
)
from .auth import (
    ComponentInfo,
    DeviceInfo,
    PasswordChange,
    Registration,
    RegistrationResult,
    Role,
    TokenRefresh,
    TokenResult,
)
from .catalog import Quote, QuoteRequest, RateInfo, Service, ServiceUnit, WindowInfo
from .common import ListOrder, Request, Response, Timestamp
from .errors import PROBLEM_CONTENT_TYPE, ErrorCode, Problem
from .events import BalanceEvent, EventType, NoticeEvent, NoticeKind, SessionEvent
from .funding import StatementLine, TopUp, TopUpRequest, TopUpStatus
from .limits import (
    AccountLimits,
    LimitEvent,
    LimitFigure,
    LimitPeriod,
    LimitSetter,
    LimitsUpdate,
)
from .money import MICRO, Money, MoneyIn, format_money, parse_money
from .sessions import (
    Action,
    Cdr,
    ClientEndCause,
    EndCause,
    GatewayAccess,
    SessionCreate,
    SessionCreated,
    SessionEnd,
    SessionResource,
    SessionState,
    SessionUpdate,
    UpdateResult,
)

__all__ = [
    "MICRO",
    "PROBLEM_CONTENT_TYPE",
    "Account",
    "AccountDetail",
    "AccountKind",
    "AccountLimits",
    "AccountStatus",
    "AccountSummary",
    "Action",
    "Adjustment",
    "AdjustmentResult",
    "AuditEntry",
    "BalanceEvent",
    "Cdr",
    "ClientEndCause",
    "ComponentInfo",
    "DeviceInfo",
    "EndCause",
    "ErrorCode",
    "EventType",
    "GatewayAccess",
    "Health",
    "LimitEvent",
    "LimitFigure",
    "LimitPeriod",
    "LimitSetter",
    "LimitsUpdate",
    "ListOrder",
    "LiveSession",
    "Money",
    "MoneyIn",
    "NoticeEvent",
    "NoticeKind",
    "PasswordChange",
    "Problem",
    "Quote",
    "QuoteRequest",
    "RateInfo",
    "Registration",
    "RegistrationResult",
    "Request",
    "Response",
    "Role",
    "Service",
    "ServiceUnit",
    "SessionCreate",
    "SessionCreated",
    "SessionEnd",
    "SessionEvent",
    "SessionResource",
    "SessionState",
    "SessionUpdate",
    "StatementLine",
    "StatusChange",
    "SupportEnd",
    "Timestamp",
    "TokenRefresh",
    "TokenResult",
    "TopUp",
    "TopUpRequest",
    "TopUpStatus",
    "UpdateResult",
    "WindowInfo",
    "format_money",
    "parse_money",
]

"""Peewee models of every table; the schema is defined by the SQL migrations beside them."""

from __future__ import annotations

from appliance.store.models.aggregates import (
    Array5m, BatteryBank5m, Energy5m, Meter5m, Meter30m, RollupDirty, RollupWatermark, System5m,
)
from appliance.store.models.alerts import AlertRow
from appliance.store.models.auth import ApiToken, User, WebSession
from appliance.store.models.base import BaseModel as BaseModel, database as database  # re-exported
from appliance.store.models.control import (
    ControlAudit, ControlLease, ControlSnapshot, ControlState, ControlWriteBudget, DeviceHeartbeat, DeviceMetric,
    DispatchLog, SetpointState, SyncFeed, SyncState, SyncTable,
)
from appliance.store.models.catalog import (
    Adapter, AdapterBase, Battery, BatteryArray, BatteryArrayAttachment, BatteryCell, BatteryPack,
    BatteryPackAdapter, BatteryPackAttachment, Inverter, InverterArray, Meter, System,
)
from appliance.store.models.registry import (
    AppSetting, DeviceDiscovery, DeviceGroup, DeviceGroupMember, DeviceHealth, MarketData, MarketDataType,
    RegistryDevice, SystemEvent,
)
from appliance.store.models.rollups import (
    ArrayDailySummary, ArrayHourlyEnergy, BatteryBankDaily, BatteryBankHourly, DailySummary, HourlyEnergy,
    MeterDaily, MeterHourlyEnergy, SystemDailySummary, SystemHourlyEnergy,
)
from appliance.store.models.samples import (
    ArraySample, BatteryBankSample, BatteryCellReading, BatteryCellSample, BatteryUnitSample, EnergySample,
    MeterSample, FeedSpan, SampleDictionary,
)

CATALOG_MODELS = (System, AdapterBase, Adapter, InverterArray, Inverter, BatteryArray, BatteryPack, Battery,
                  BatteryCell, BatteryArrayAttachment, BatteryPackAttachment, Meter, BatteryPackAdapter)
SAMPLE_MODELS = (EnergySample, ArraySample, BatteryBankSample, BatteryUnitSample, BatteryCellReading,
                 MeterSample, FeedSpan, SampleDictionary)
#: Read-only models of views (migration 13): not tables, so not in ALL_MODELS.
VIEW_MODELS = (BatteryCellSample,)
ROLLUP_MODELS = (HourlyEnergy, ArrayHourlyEnergy, SystemHourlyEnergy, DailySummary, ArrayDailySummary,
                 SystemDailySummary, MeterHourlyEnergy, MeterDaily, BatteryBankHourly, BatteryBankDaily)
REGISTRY_MODELS = (RegistryDevice, DeviceDiscovery, DeviceHealth, DeviceGroup, DeviceGroupMember,
                   MarketDataType, MarketData, SystemEvent, AppSetting)
AGGREGATE_MODELS = (Energy5m, Array5m, System5m, Meter5m, Meter30m, BatteryBank5m, RollupWatermark, RollupDirty)
AUTH_MODELS = (User, ApiToken, WebSession)
CONTROL_MODELS = (DispatchLog, SetpointState, DeviceHeartbeat, DeviceMetric, SyncState, SyncTable, SyncFeed,
                  ControlLease, ControlAudit, ControlWriteBudget, ControlSnapshot, ControlState)
ALERT_MODELS = (AlertRow,)
ALL_MODELS = (CATALOG_MODELS + SAMPLE_MODELS + ROLLUP_MODELS + REGISTRY_MODELS + AGGREGATE_MODELS + AUTH_MODELS
              + CONTROL_MODELS + ALERT_MODELS)

__all__ = [  # explicit, so type checkers see what this package re-exports
    "AGGREGATE_MODELS", "ALERT_MODELS", "ALL_MODELS", "AUTH_MODELS", "Adapter", "AdapterBase", "AlertRow",
    "ApiToken", "AppSetting", "Array5m", "ArrayDailySummary", "ArrayHourlyEnergy", "ArraySample", "BaseModel",
    "Battery", "BatteryArray", "BatteryArrayAttachment", "BatteryBank5m", "BatteryBankDaily", "BatteryBankHourly",
    "BatteryBankSample", "BatteryCell", "BatteryCellReading", "BatteryCellSample", "BatteryPack",
    "BatteryPackAdapter", "BatteryPackAttachment", "BatteryUnitSample", "CATALOG_MODELS", "CONTROL_MODELS",
    "ControlAudit", "ControlLease", "ControlSnapshot", "ControlState", "ControlWriteBudget", "DailySummary",
    "DeviceDiscovery", "DeviceGroup", "DeviceGroupMember", "DeviceHealth", "DeviceHeartbeat", "DeviceMetric",
    "DispatchLog", "Energy5m", "EnergySample", "FeedSpan", "HourlyEnergy", "Inverter", "InverterArray",
    "MarketData", "MarketDataType", "Meter", "Meter30m", "Meter5m", "MeterDaily", "MeterHourlyEnergy",
    "MeterSample", "REGISTRY_MODELS", "ROLLUP_MODELS", "RegistryDevice", "RollupDirty", "RollupWatermark",
    "SAMPLE_MODELS", "SampleDictionary", "SetpointState", "SyncFeed", "SyncState", "SyncTable", "System",
    "System5m", "SystemDailySummary", "SystemEvent", "SystemHourlyEnergy", "User", "VIEW_MODELS", "WebSession",
    "database",
]
